import type { Logger } from '@repo/observability';
import { jobNames, publishCancellation, type JobName, type Producer, type Redis } from '@repo/queue';

export interface JobControlDependencies {
  producer: Producer;
  /** The producer's connection: publishes cancellations for running jobs. */
  redis: Redis;
  /** The queue prefix: the cancellation channel is named after it. */
  prefix: string;
  logger: Logger;
  /** Each Redis round-trip gives up after this long (default 1 s): a request never hangs on Redis. */
  timeoutMs?: number;
}

export type StopOutcome = 'removed' | 'signalled' | 'unknown';

/**
 * Stops the job of a task whose row was already marked cancelled. Best effort by design: the
 * `tasks` row is the source of truth and a runner never starts (or finishes) a cancelled task,
 * so when Redis is unreachable the job is simply skipped when it comes up.
 */
export function createJobControl({
  producer,
  redis,
  prefix,
  logger,
  timeoutMs = 1_000,
}: JobControlDependencies) {
  return async function stopJob(type: string, taskId: string): Promise<StopOutcome> {
    if (!(jobNames as string[]).includes(type)) return 'unknown';
    try {
      // Before the timeout starts: the time to import BullMQ (once) is not Redis's answer time.
      const queue = await producer.queue(type as JobName);
      return await withTimeout(timeoutMs, async () => {
        const job = await queue.getJob(taskId);
        if (job) {
          try {
            // A waiting or delayed job is removed outright; an active one is locked by its worker.
            await job.remove();
            return 'removed';
          } catch (error) {
            logger.debug({ err: error, taskId }, 'job not removable (running?); signalling cancellation');
          }
        }
        // Running (or picked up in the meantime): every runner hears this and aborts the job.
        await publishCancellation(redis, prefix, taskId);
        return 'signalled';
      });
    } catch (error) {
      logger.warn(
        { err: error, taskId },
        'could not reach the queue to stop a cancelled task; its runner will skip it',
      );
      return 'unknown';
    }
  };
}

export type StopJob = ReturnType<typeof createJobControl>;

async function withTimeout<T>(ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
