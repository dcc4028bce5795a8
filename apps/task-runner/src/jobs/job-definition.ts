import type { Logger } from '@repo/observability';
import type { TaskExecutor } from './task-state.ts';
import { jobs, type JobName, type JobPayload } from '@repo/queue';
import type { z } from 'zod';

export interface JobContext {
  /**
   * Aborted when the run times out, its task is cancelled, or this process hands its jobs back
   * (shutdown budget spent, leadership lost). Pass it to every slow call.
   */
  signal: AbortSignal;
  /** 1 on the first run, 2 on the first retry, … (a re-run after a crash keeps its number). */
  attempt: number;
  logger: Logger;
  /**
   * Records the run's success in its task row inside the job's own transaction (its drizzle
   * transaction, or the connection it runs on), so the job's
   * effects and its task's outcome commit together: one commit instead of two, and never effects
   * committed under a task still `running`. Call it with the result the processor returns, right
   * before the transaction commits; the task is then not written again. A no-op for a job without
   * a task. A processor that does not call it has its task marked after it returns.
   */
  succeedTaskIn: (transaction: TaskExecutor, result: unknown) => Promise<void>;
}

/**
 * Which replicas run a kind of job.
 * - `every-replica`: every running task-runner, leader and standbys alike, once the database has
 *   every migration of its build. For jobs whose effects are exactly-once by themselves (a row lock,
 *   an idempotency key), so N replicas running them at once only adds throughput.
 * - `leader`: only the replica holding the leader lock, and only during its term (its workers are
 *   fenced by the lock). For what must not run twice at once or is the leader's own duty.
 */
export type JobPlacement = 'every-replica' | 'leader';

/**
 * What the task-runner knows about a kind of job: its queue, how to validate and run it, where and
 * how many at once. A payload with a `taskId` is mirrored into that row of the `tasks` table.
 */
export interface JobDefinition<Payload = unknown> {
  /** The queue's name; for a job of the contract (@repo/queue), the contract's name. */
  name: string;
  /** Validates `job.data` before anything runs; a payload that fails it is never retried. */
  payload: z.ZodType<Payload>;
  /** Which replicas run it (see JobPlacement); decided per job, with the reason beside it. */
  runsOn: JobPlacement;
  /** Jobs at once in one replica. */
  concurrency: number;
  /**
   * Jobs at once across every replica (BullMQ's global concurrency, kept in Redis and set by the
   * leader on every term); unset: no limit beyond `concurrency` × replicas.
   */
  globalConcurrency?: number;
  /** A run taking longer is aborted through `context.signal` and counts as a failed attempt. */
  timeoutMs: number;
  process(payload: Payload, context: JobContext): Promise<unknown>;
  /**
   * Called once when the last attempt failed, to record the failure where users see it. The error
   * is the one to show them (query parameters and credential-shaped text removed); its `cause` is
   * the original.
   */
  onFinalFailure?(payload: Payload, error: Error): Promise<void>;
}

/** A definition for a job of the queue contract: name and payload schema come from the contract. */
export function contractJob<Name extends JobName>(
  name: Name,
  definition: Omit<JobDefinition<JobPayload<Name>>, 'name' | 'payload'>,
): JobDefinition<JobPayload<Name>> {
  // The contract's map ties each name to its schema; TypeScript cannot follow a generic index into it.
  const payload = jobs[name].payload as unknown as z.ZodType<JobPayload<Name>>;
  return { name, payload, ...definition };
}

/** The task a payload belongs to, by the convention that task jobs carry `taskId`. */
export function taskIdOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null || !('taskId' in payload)) return undefined;
  return typeof payload.taskId === 'string' ? payload.taskId : undefined;
}
