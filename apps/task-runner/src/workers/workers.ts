import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import { Worker } from 'bullmq';
import type { JobDefinition } from '../jobs/job-definition.ts';
import type { TaskState } from '../jobs/task-state.ts';
import { createJobProcessor } from './job-processor.ts';

export interface WorkersOptions {
  definitions: readonly JobDefinition[];
  /** A worker-role connection; BullMQ duplicates it for its blocking commands. */
  connection: Redis;
  prefix: string;
  taskState: TaskState;
  logger: Logger;
}

/** One BullMQ worker per job definition, with the same listeners attached to each, in one place. */
export function startWorkers({ definitions, connection, prefix, taskState, logger }: WorkersOptions) {
  const workers = definitions.map((definition) => {
    const log = logger.child({ queue: definition.name });
    const worker = new Worker(definition.name, createJobProcessor(definition, { taskState, logger }), {
      connection,
      prefix,
      concurrency: definition.concurrency,
      // Stalled jobs (their worker died mid-run) are picked up again this often.
      stalledInterval: 15_000,
      maxStalledCount: 2,
    });
    worker.on('failed', (job, error) =>
      log.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, 'job failed'),
    );
    worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled; it will be retried'));
    // Connection errors are retried by ioredis; without this listener Node would crash on them.
    worker.on('error', (error) => log.error({ err: error }, 'worker error'));
    return worker;
  });

  return {
    workers,
    get running() {
      return workers.every((worker) => worker.isRunning());
    },
    /**
     * Stops fetching, lets active jobs finish for up to `budgetMs`, then aborts what is left
     * through each job's signal. Bounded even when Redis is unreachable, where `worker.close()`
     * can wait forever (bullmq#4656).
     */
    async stop(budgetMs: number): Promise<'drained' | 'cancelled'> {
      const closing = Promise.all(workers.map((worker) => worker.close()));
      const drained = await within(closing, budgetMs);
      if (drained) return 'drained';
      logger.warn({ budgetMs }, 'active jobs did not finish within the shutdown budget; cancelling them');
      for (const worker of workers) worker.cancelAllJobs('shutdown');
      await within(closing, 2_000);
      return 'cancelled';
    },
  };
}

export type Workers = ReturnType<typeof startWorkers>;

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    // A close that rejects has still stopped the worker; the error was reported by its listener.
    return await Promise.race([
      promise.then(
        () => true as const,
        () => true as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
