import type { Logger } from '@repo/observability';
import type { JobName, Producer } from '@repo/queue';
import { bounded } from '../support/time-bounds.ts';

const REDIS_TIMEOUT_MS = 5_000;

/** A job the leader runs on a schedule, rather than one produced by the api. */
export interface JobSchedule {
  /** The scheduler's id: upserting the same id again replaces it, never adds a second one. */
  id: string;
  queue: JobName;
  everyMs: number;
}

/**
 * Upserts every scheduler, on every leader start: `upsertJobScheduler` is idempotent by id, so
 * restarts (and the new leader after a failover) leave one entry per scheduler, with the current
 * interval. The job template takes the queue's defaults from the producer: the contract's retry
 * policy and bounded retention. Schedulers in these queues that are no longer in the table (renamed
 * or removed in a release) are deleted, so they do not keep running forever.
 */
export async function upsertJobSchedulers(
  producer: Producer,
  schedules: readonly JobSchedule[],
  logger: Logger,
): Promise<void> {
  // Bounded: BullMQ waits for a connection that is not up yet instead of failing.
  const redis = <T>(call: Promise<T>) => bounded(call, REDIS_TIMEOUT_MS, 'redis (job schedulers)');
  for (const schedule of schedules) {
    const queue = await producer.queue(schedule.queue);
    await redis(
      queue.upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.queue, data: {} }),
    );
  }
  const wanted = new Set(schedules.map((schedule) => `${schedule.queue}/${schedule.id}`));
  for (const name of new Set(schedules.map((schedule) => schedule.queue))) {
    const queue = await producer.queue(name);
    for (const existing of await redis(queue.getJobSchedulers())) {
      if (wanted.has(`${name}/${existing.key}`)) continue;
      await redis(queue.removeJobScheduler(existing.key));
      logger.info({ queue: name, scheduler: existing.key }, 'removed a job scheduler no longer defined');
    }
  }
  logger.info({ schedulers: schedules.map((schedule) => schedule.id) }, 'job schedulers upserted');
}
