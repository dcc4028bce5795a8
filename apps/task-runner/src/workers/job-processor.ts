import { safeErrorMessage, type JobMetrics, type JobOutcome, type Logger } from '@repo/observability';
import { UnrecoverableError, WaitingError, type Job, type Processor } from 'bullmq';
import { taskIdOf, type JobDefinition } from '../jobs/job-definition.ts';
import type { TaskExecutor, TaskState } from '../jobs/task-state.ts';
import { runSignal, untilAborted, within } from '../support/time-bounds.ts';

/** The abort reason of a run handed back unfinished: shutdown budget spent, or leadership lost. */
export class JobInterruptedError extends Error {
  constructor(reason: string) {
    super(`interrupted: ${reason}`);
    this.name = 'JobInterruptedError';
  }
}

/** The reason given to `worker.cancelJob()` for a cancelled task. */
export const CANCELLED = 'cancelled';

/** Handing a job back talks to Redis and Postgres; either may be the reason we hand it back. */
const HAND_BACK_TIMEOUT_MS = 1_000;

export interface ProcessorContext {
  taskState: TaskState;
  logger: Logger;
  metrics: JobMetrics;
  /** Aborted when this process must give its jobs back (see JobInterruptedError). */
  interrupt: AbortSignal;
  /** Whether the workers' Redis connection is up: a hand-back cannot reach Redis otherwise. */
  redisReady: () => boolean;
}

/**
 * Turns a job definition into a BullMQ processor, adding what every job needs and no job should
 * write itself: payload validation, the task row mirror, the timeout, cancellation, hand-back on
 * shutdown, final-failure handling and metrics. How a run ends:
 * - returns → task succeeded;
 * - throws or times out → task back to `queued` while attempts remain (BullMQ retries it with
 *   backoff), `failed` with its error after the last one;
 * - cancelled (api published the task id) → task `cancelled`, job failed without retry (BullMQ's
 *   own pattern: an UnrecoverableError);
 * - interrupted → the job goes back to `wait` without using an attempt (WaitingError tells BullMQ
 *   it was moved), the task back to `queued`; whoever leads next runs it. If Redis is unreachable
 *   the job stays `active` and is recovered as stalled once its lock expires — also no attempt.
 */
export function createJobProcessor(definition: JobDefinition, context: ProcessorContext): Processor {
  const { taskState, logger, metrics, interrupt, redisReady } = context;

  // Three parameters on purpose: BullMQ only creates the per-job AbortSignal (used by
  // `worker.cancelJob`) for processors that declare it.
  return async (job: Job, token: string | undefined, jobSignal: AbortSignal | undefined) => {
    const attempt = job.attemptsMade + 1;
    const log = logger.child({ queue: definition.name, jobId: job.id, attempt });
    const started = performance.now();
    const observe = (outcome: JobOutcome) =>
      metrics.observe(definition.name, outcome, (performance.now() - started) / 1_000);

    const parsed = definition.payload.safeParse(job.data);
    if (!parsed.success) {
      // A payload that does not match the contract will not match it on retry either.
      observe('failed');
      throw new UnrecoverableError(`invalid payload: ${parsed.error.message}`);
    }
    const payload = parsed.data;
    const taskId = taskIdOf(payload);

    const handBack = async () => {
      log.info({ reason: (interrupt.reason as Error).message }, 'handing the job back to the queue');
      // Without Redis the job stays `active` and is recovered as stalled: no attempt used either.
      if (redisReady()) await within(job.moveToWait(token), HAND_BACK_TIMEOUT_MS);
      if (taskId) await within(taskState.requeued(taskId), HAND_BACK_TIMEOUT_MS);
      observe('interrupted');
      return new WaitingError();
    };

    // Fencing: a job fetched in the instant this process stopped leading is not run here.
    if (interrupt.aborted) throw await handBack();

    if (taskId && !(await taskState.running(taskId, attempt))) {
      log.info({ taskId }, 'task is already final or gone; skipping');
      observe('completed');
      return { skipped: 'task-final' };
    }

    const run = runSignal([interrupt, jobSignal], definition.timeoutMs);
    const { signal } = run;
    let succeededInJob = false;
    const succeedTaskIn = async (transaction: TaskExecutor, result: unknown) => {
      if (taskId) await taskState.succeeded(taskId, result ?? null, transaction);
      succeededInJob = true;
    };
    try {
      const result = await untilAborted(
        definition.process(payload, { signal, attempt, logger: log, succeedTaskIn }),
        signal,
      );
      if (taskId && !succeededInJob) await taskState.succeeded(taskId, result ?? null);
      observe('completed');
      // One line per run, inside the job's span: with tracing on it carries the trace_id that
      // joins it to the request that queued the job.
      log.info({ taskId, durationMs: Math.round(performance.now() - started) }, 'job completed');
      return result;
    } catch (caught) {
      if (interrupt.aborted) throw await handBack();
      if (jobSignal?.aborted && !run.timedOut) {
        log.info({ taskId }, 'task cancelled while running');
        if (taskId) await taskState.cancelled(taskId);
        observe('cancelled');
        throw new UnrecoverableError(`${CANCELLED}: the task was cancelled while it ran`);
      }
      const error = run.timedOut
        ? new Error(`timed out after ${definition.timeoutMs} ms`, { cause: caught })
        : toError(caught);
      const final = caught instanceof UnrecoverableError || attempt >= (job.opts.attempts ?? 1);
      log.warn({ err: error, final }, 'job attempt failed');
      // What the task's owner reads: no query parameters, nothing credential-shaped (the log above
      // keeps the cause for the operator).
      const told = safeErrorMessage(error);
      if (taskId) await taskState.failed(taskId, told, final);
      if (final) await definition.onFinalFailure?.(payload, new Error(told, { cause: error }));
      observe(final ? 'failed' : 'retrying');
      throw error;
    } finally {
      run.dispose();
    }
  };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
