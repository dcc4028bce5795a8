import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * The one contract between producers (api) and the consumer (task-runner). Each job has its own
 * queue, so concurrency, rate limits and metrics are per job kind.
 *
 * Payload changes must be additive: a new field is optional (with a comment saying since when),
 * because jobs enqueued by the previous release are still in Redis during a rolling deploy.
 * Payloads carry ids, never documents: Redis holds the queue, Postgres holds the data.
 */
export const jobs = {
  'ingest-document': {
    payload: z.object({
      taskId: z.uuid(),
      documentId: z.uuid(),
    }),
    options: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
    },
  },
  /**
   * Housekeeping of the task-runner (since 0.1): purges old finished tasks, fails lost ones and
   * re-enqueues orphans. Produced only by the task-runner's own job scheduler; no payload.
   */
  maintenance: {
    payload: z.object({}),
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 10_000 },
    },
  },
  /**
   * A conversation turn run in the background (since 0.2): `POST /v1/tasks {type: "agent-run"}`.
   * The message itself is in the task's input; the runner asks the agent service for the turn with
   * the task id as idempotency key, so a retried job never stores the message twice.
   */
  'agent-run': {
    payload: z.object({
      taskId: z.uuid(),
      conversationId: z.uuid(),
    }),
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
    },
  },
  /**
   * Folds the turns that outgrew the agent's token budget into the conversation's running summary
   * (since 0.2). Queued by the agent after a turn, deduplicated per conversation; no task row.
   */
  'summarize-conversation': {
    payload: z.object({
      ownerId: z.string().min(1),
      conversationId: z.uuid(),
    }),
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 10_000 },
    },
  },
  /**
   * Fails the agent runs whose agent died (since 0.3): a run `running` past its lease, which the
   * executing agent renews while it lives. Produced only by the task-runner's own job scheduler,
   * every few seconds; no payload. One attempt: the next tick is the retry.
   */
  'reap-runs': {
    payload: z.object({}),
    options: {
      attempts: 1,
    },
  },
} as const satisfies Record<string, { payload: z.ZodType; options: JobsOptions }>;

export type JobName = keyof typeof jobs;
export type JobPayload<Name extends JobName> = z.infer<(typeof jobs)[Name]['payload']>;

export const jobNames = Object.keys(jobs) as JobName[];

/**
 * Bounded retention for every job: Redis is memory, and the durable record is the `tasks` row.
 * Failed jobs are kept longer than completed ones because someone may want to inspect them.
 */
export const retention = {
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
} as const satisfies Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'>;

/** Parses a job's data against its contract; a malformed payload is a bug, never retried. */
export function parseJobPayload<Name extends JobName>(name: Name, data: unknown): JobPayload<Name> {
  return jobs[name].payload.parse(data) as JobPayload<Name>;
}
