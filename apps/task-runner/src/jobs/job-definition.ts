import type { Database } from '@repo/db';
import type { Logger } from '@repo/observability';
import type { JobName, JobPayload } from '@repo/queue';

export interface JobContext {
  /** Aborted when the job times out or the process shuts down; pass it to every slow call. */
  signal: AbortSignal;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  logger: Logger;
}

/** What the task-runner knows about a kind of job: how to run it and how many at once. */
export interface JobDefinition<Name extends JobName = JobName> {
  name: Name;
  concurrency: number;
  /** A run taking longer is aborted through `context.signal` and counts as a failed attempt. */
  timeoutMs: number;
  process(payload: JobPayload<Name>, context: JobContext): Promise<unknown>;
  /** Called once when the last attempt failed, to record the failure where users see it. */
  onFinalFailure?(payload: JobPayload<Name>, error: Error): Promise<void>;
}

export interface JobDependencies {
  db: Database;
}
