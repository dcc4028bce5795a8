import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * How one run of a job ended, as the duration histogram labels it:
 * - `completed`: the processor returned;
 * - `retrying`: the attempt failed and the job will be retried (counted in the retries counter);
 * - `failed`: the job failed for good (counted in the failures counter);
 * - `cancelled`: its task was cancelled while it ran;
 * - `interrupted`: handed back to the queue, unfinished, because this process stopped leading or
 *   shut down; another run will do it, so it is neither a failure nor a retry.
 */
export type JobOutcome = 'completed' | 'retrying' | 'failed' | 'cancelled' | 'interrupted';

export interface JobMetrics {
  observe(queue: string, outcome: JobOutcome, seconds: number): void;
}

/**
 * Job metrics, named after BullMQ's own vocabulary so dashboards read like the queue's UI:
 * `bullmq_job_duration_seconds{queue,outcome}`, `bullmq_job_failures_total{queue}` (final
 * failures) and `bullmq_job_retries_total{queue}` (failed attempts that will be retried).
 *
 * `queues`: the queues this process serves. Their failure and retry counters start at 0, so the
 * series exist from the first scrape: `rate()`/`increase()` (the failing-jobs alert) see the
 * first failure as an increase instead of the birth of a series, and panels are not empty.
 */
export function createJobMetrics(registry: Registry, queues: readonly string[] = []): JobMetrics {
  const duration = new Histogram({
    name: 'bullmq_job_duration_seconds',
    help: 'Duration of one run of a job, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    // Jobs range from milliseconds (bookkeeping) to minutes (ingesting a large document).
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'bullmq_job_failures_total',
    help: 'Jobs that failed after their last attempt, by queue',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'bullmq_job_retries_total',
    help: 'Failed attempts that will be retried, by queue',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  for (const queue of queues) {
    failures.inc({ queue }, 0);
    retries.inc({ queue }, 0);
  }
  return {
    observe(queue, outcome, seconds) {
      duration.observe({ queue, outcome }, seconds);
      if (outcome === 'failed') failures.inc({ queue });
      if (outcome === 'retrying') retries.inc({ queue });
    },
  };
}

export interface QueueCounts {
  queue: string;
  /** Jobs by BullMQ state (waiting, active, delayed, prioritized, completed, failed, …). */
  counts: Record<string, number>;
}

/**
 * `bullmq_job_count{queue,state}`, read from Redis when Prometheus scrapes, so it is never stale
 * and costs nothing between scrapes. When the read fails (Redis down) the series are dropped for
 * that scrape instead of repeating old values: an absent series is an honest "unknown".
 */
export function registerQueueDepthGauge(
  registry: Registry,
  readCounts: () => Promise<QueueCounts[]>,
  onError: (error: unknown) => void = () => {},
): Gauge<'queue' | 'state'> {
  return new Gauge({
    name: 'bullmq_job_count',
    help: 'Jobs in each queue by state, read from Redis at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const { queue, counts } of await readCounts()) {
          for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
        }
      } catch (error) {
        onError(error);
      }
    },
  });
}

/** A 1/0 gauge: whether this process currently holds a role (e.g. `task_runner_leader`). */
export function createRoleGauge(registry: Registry, name: string, help: string): Gauge {
  return new Gauge({ name, help, registers: [registry] });
}
