import { defaultMaxListeners, setMaxListeners } from 'node:events';
import type { JobMetrics, Logger } from '@repo/observability';
import { isConnectionError, type Redis } from '@repo/queue';
import { Worker, type Telemetry } from 'bullmq';
import type { JobDefinition } from '../jobs/job-definition.ts';
import type { TaskState } from '../jobs/task-state.ts';
import { within } from '../support/time-bounds.ts';
import { CANCELLED, createJobProcessor, JobInterruptedError } from './job-processor.ts';

export interface WorkersOptions {
  definitions: readonly JobDefinition[];
  /** A worker-role connection; these workers use a duplicate of it, which they own and close. */
  connection: Redis;
  prefix: string;
  taskState: TaskState;
  metrics: JobMetrics;
  logger: Logger;
  /**
   * For the leader's workers: aborted when this process stops leading, and every active job is
   * handed back at once. Workers of every replica have none: leadership does not concern them.
   */
  fence?: AbortSignal;
  /** Recorded on each job it runs (`processedBy`): which replica ran it, in bull-board and Redis. */
  workerName?: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** BullMQ tracing: each job is processed in a span continuing the trace that queued it. */
  telemetry?: Telemetry;
}

/** How workers ended: every job finished, unfinished ones handed back, or Redis did not answer. */
export type StopOutcome = 'drained' | 'handed-back' | 'abandoned';

/**
 * Interrupted processors answer at once (they race their signal) and bound their own hand-back to
 * 1 s; this bounds the rest of BullMQ's close, which never ends while Redis is unreachable.
 */
const HAND_BACK_GRACE_MS = 1_500;

/**
 * One BullMQ worker per job definition, with the same listeners attached to each, in one place.
 * A process runs two such sets: every replica's (from the moment the schema is known until it
 * stops) and the leader's (during each term).
 */
export function startWorkers(options: WorkersOptions) {
  const { definitions, prefix, taskState, metrics, logger } = options;
  // A connection of their own for this set of workers, so it can be force-closed without
  // touching the connections the rest of the process keeps using.
  const connection = options.connection.duplicate();
  connection.on('error', () => {}); // reported through the workers' 'error' events
  const handBack = new AbortController();
  const interrupt = options.fence ? AbortSignal.any([options.fence, handBack.signal]) : handBack.signal;
  // Every running job listens on it (runSignal): as many listeners as jobs run at once, which
  // is not the leak Node's default warning (above 10) looks for.
  const concurrency = definitions.reduce((sum, definition) => sum + definition.concurrency, 0);
  setMaxListeners(Math.max(defaultMaxListeners, concurrency + defaultMaxListeners), interrupt);

  const workers = definitions.map((definition) => {
    const log = logger.child({ queue: definition.name });
    const worker = new Worker(
      definition.name,
      createJobProcessor(definition, {
        taskState,
        logger,
        metrics,
        interrupt,
        redisReady: () => connection.status === 'ready',
      }),
      {
        connection,
        prefix,
        name: options.workerName,
        concurrency: definition.concurrency,
        lockDuration: options.lockDurationMs,
        // Jobs of a runner that died are picked up again this often (once their lock expired).
        stalledInterval: options.stalledIntervalMs,
        // Two crashes in the middle of the same job are tolerated; a third fails it (a poison job
        // that kills its process must not take down every leader in turn).
        maxStalledCount: 2,
        telemetry: options.telemetry,
      },
    );
    worker.on('failed', (job, error) => {
      if (error.message.startsWith(CANCELLED)) return;
      log.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, 'job failed');
    });
    worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its runner died); it runs again'));
    // Without this listener Node would crash on an error. Connection errors are retried by
    // ioredis and reported once per outage by the connection's owner (connections.ts).
    worker.on('error', (error) => {
      if (!isConnectionError(error)) log.error({ err: error }, 'worker error');
    });
    return worker;
  });

  let closing: Promise<unknown> | undefined;
  const close = () => (closing ??= Promise.all(workers.map((worker) => worker.close())));
  // Stop fetching in the same tick as the interruption, so a job handed back is not followed by
  // the next one being fetched.
  interrupt.addEventListener('abort', () => void close(), { once: true });

  /** Abandons what did not close: BullMQ's close waits forever on an unreachable Redis (bullmq#4656). */
  const forceDisconnect = async () => {
    await within(Promise.all(workers.map((worker) => worker.disconnect())), 500);
    connection.disconnect();
  };

  const finish = async (): Promise<StopOutcome> => {
    // Without Redis, BullMQ's close cannot complete: only give the processors a moment to
    // record their hand-back in Postgres.
    const grace = connection.status === 'ready' ? HAND_BACK_GRACE_MS : 300;
    if (await within(close(), grace)) {
      connection.disconnect();
      return 'handed-back';
    }
    await forceDisconnect();
    return 'abandoned';
  };

  return {
    workers,
    get running() {
      return workers.every((worker) => worker.isRunning());
    },
    /** Aborts the run of this task if one of these workers has it; false when it is not running here. */
    cancel(taskId: string): boolean {
      return workers.some((worker) => worker.cancelJob(taskId, CANCELLED));
    },
    /**
     * Graceful stop (SIGTERM): no new jobs, active ones get `budgetMs` to finish, then whatever is
     * left is handed back to the queue through its signal. Bounded even when Redis is unreachable.
     */
    async stop(budgetMs: number): Promise<StopOutcome> {
      if (await within(close(), budgetMs)) {
        connection.disconnect();
        return 'drained';
      }
      logger.warn({ budgetMs }, 'active jobs did not finish within the shutdown budget; handing them back');
      handBack.abort(new JobInterruptedError('shutdown budget spent'));
      return finish();
    },
    /** Immediate stop (leadership lost): every active job is handed back without waiting. */
    async stopNow(reason: string): Promise<StopOutcome> {
      handBack.abort(new JobInterruptedError(reason));
      return finish();
    },
  };
}

export type Workers = ReturnType<typeof startWorkers>;
