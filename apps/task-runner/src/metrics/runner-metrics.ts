import {
  createJobMetrics,
  createRoleGauge,
  registerQueueDepthGauge,
  type Logger,
  type Registry,
} from '@repo/observability';
import type { Queue } from 'bullmq';
import { bounded } from '../support/time-bounds.ts';

/** A scrape must answer even when Redis does not. */
const COUNTS_TIMEOUT_MS = 2_000;

/**
 * The task-runner's metrics on its registry: job durations, failures and retries (observed by
 * the processor wrapper), queue depth read from Redis at scrape time, and the leader gauge.
 */
export function createRunnerMetrics(registry: Registry, queues: readonly Queue[], logger: Logger) {
  // Every queue served starts with failures and retries at 0 (the alert rules take their rate).
  const jobs = createJobMetrics(
    registry,
    queues.map((queue) => queue.name),
  );
  const leader = createRoleGauge(
    registry,
    'task_runner_leader',
    '1 while this process leads (migrations, schedulers and workers run here), 0 on a standby',
  );
  leader.set(0);
  registerQueueDepthGauge(
    registry,
    () =>
      bounded(
        Promise.all(queues.map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts() }))),
        COUNTS_TIMEOUT_MS,
        'redis (queue counts)',
      ),
    (error) => logger.warn({ err: error }, 'cannot read queue counts for /metrics'),
  );
  return { jobs, leader };
}
