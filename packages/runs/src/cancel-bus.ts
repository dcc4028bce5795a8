import type { Redis } from 'ioredis';
import { z } from 'zod';
import { runCancelChannel } from './keys.ts';

const message = z.object({ runId: z.uuid() });

/**
 * Asks the agent executing `runId` to stop it. Pub/sub is fire-and-forget, so the `runs` row stays
 * the source of truth: the caller sets `cancel_requested_at` first, and the executing agent also
 * finds it there when it renews its lease (the fallback when this message is lost).
 */
export async function publishRunCancel(redis: Redis, prefix: string, runId: string): Promise<number> {
  return redis.publish(runCancelChannel(prefix), JSON.stringify(message.parse({ runId })));
}

/**
 * Subscribes `subscriber` (a connection of its own, or one only used for subscriptions) and calls
 * `onCancel` for every well-formed message. Returns an unsubscribe function.
 */
export async function subscribeRunCancels(
  subscriber: Redis,
  prefix: string,
  onCancel: (runId: string) => void,
): Promise<() => Promise<void>> {
  const channel = runCancelChannel(prefix);
  const listener = (received: string, payload: string) => {
    if (received !== channel) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const result = message.safeParse(parsed);
    if (result.success) onCancel(result.data.runId);
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(channel);
  return async () => {
    subscriber.off('message', listener);
    await subscriber.unsubscribe(channel);
  };
}
