import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * Cancelling a running job: the api publishes the task id on this channel and every task-runner
 * aborts the matching active job through its AbortSignal. (A queued job is removed from the queue
 * by the api directly; only a job that is already running needs the runner's help.)
 * Pub/sub is fire-and-forget, so the `tasks` row stays the source of truth: the api marks the
 * task cancelled first, and a runner never moves a cancelled task to another state.
 */
export const cancellationChannel = (prefix: string) => `${prefix}:cancel-task`;

const message = z.object({ taskId: z.uuid() });

export async function publishCancellation(redis: Redis, prefix: string, taskId: string): Promise<number> {
  return redis.publish(cancellationChannel(prefix), JSON.stringify(message.parse({ taskId })));
}

/**
 * Subscribes `subscriber` (a dedicated connection: a subscribed connection can run no other
 * commands) and calls `onCancel` for every well-formed message. Returns an unsubscribe function.
 */
export async function subscribeCancellations(
  subscriber: Redis,
  prefix: string,
  onCancel: (taskId: string) => void,
): Promise<() => Promise<void>> {
  const channel = cancellationChannel(prefix);
  const listener = (received: string, payload: string) => {
    if (received !== channel) return;
    const parsed = message.safeParse(safeJson(payload));
    if (parsed.success) onCancel(parsed.data.taskId);
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(channel);
  return async () => {
    subscriber.off('message', listener);
    await subscriber.unsubscribe(channel);
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
