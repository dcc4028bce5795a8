import type { Logger } from '@repo/observability';
import { jobs, type JobName } from '@repo/queue';
import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import type { JobDefinition } from '../jobs/job-definition.ts';
import type { TaskState } from '../jobs/task-state.ts';

/**
 * Turns a job definition into a BullMQ processor, adding what every job needs and no job should
 * write itself: payload validation, the task row mirror, the timeout, and final-failure handling.
 */
export function createJobProcessor<Name extends JobName>(
  definition: JobDefinition<Name>,
  { taskState, logger }: { taskState: TaskState; logger: Logger },
): Processor {
  const schema = jobs[definition.name].payload;

  return async (job: Job, _token?: string, shutdownSignal?: AbortSignal) => {
    const log = logger.child({ queue: definition.name, jobId: job.id, attempt: job.attemptsMade + 1 });
    const parsed = schema.safeParse(job.data);
    if (!parsed.success) {
      // A payload that does not match the contract will not match it on retry either.
      throw new UnrecoverableError(`invalid payload: ${parsed.error.message}`);
    }
    const payload = parsed.data as Parameters<typeof definition.process>[0];
    const taskId = 'taskId' in payload ? payload.taskId : undefined;
    const attempt = job.attemptsMade + 1;

    if (taskId && !(await taskState.running(taskId, attempt))) {
      log.info({ taskId }, 'task is already final or gone; skipping');
      return { skipped: 'task-final' };
    }

    const signal = AbortSignal.any([
      AbortSignal.timeout(definition.timeoutMs),
      ...(shutdownSignal ? [shutdownSignal] : []),
    ]);
    try {
      const result = await definition.process(payload, { signal, attempt, logger: log });
      if (taskId) await taskState.succeeded(taskId, result ?? null);
      return result;
    } catch (caught) {
      const error = signal.aborted && signal.reason instanceof Error ? signal.reason : toError(caught);
      const final = error instanceof UnrecoverableError || attempt >= (job.opts.attempts ?? 1);
      log.warn({ err: error, final }, 'job attempt failed');
      if (taskId) await taskState.failed(taskId, error.message, final);
      if (final) await definition.onFinalFailure?.(payload, error);
      throw error;
    }
  };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
