import { runMigrations, type Database } from '@repo/db';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import type { TaskRunnerConfig } from './config.ts';
import { ingestDocumentJob } from './jobs/ingest-document.job.ts';
import type { JobDefinition } from './jobs/job-definition.ts';
import { createTaskState } from './jobs/task-state.ts';
import { startWorkers, type Workers } from './workers/workers.ts';

export type Phase = 'starting' | 'migrating' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface RunnerStatus {
  ready: boolean;
  phase: Phase;
  migrations: { state: 'pending' | 'applied' | 'failed'; applied: string[] };
  workers: { running: boolean; queues: string[] };
}

export interface TaskRunnerDependencies {
  config: TaskRunnerConfig;
  logger: Logger;
  db: Database;
  /** A worker-role Redis connection (`maxRetriesPerRequest: null`). */
  redis: Redis;
}

/** The job table: every kind of job this process runs, with its concurrency and timeout. */
export function jobDefinitions({
  config,
  db,
}: Pick<TaskRunnerDependencies, 'config' | 'db'>): JobDefinition[] {
  return [
    ingestDocumentJob({
      db,
      split: { chunkSize: config.CHUNK_SIZE, overlap: config.CHUNK_OVERLAP },
      concurrency: config.INGEST_CONCURRENCY,
      timeoutMs: config.INGEST_TIMEOUT_MS,
    }),
  ];
}

/**
 * The task-runner without its process: `start()` applies migrations under the advisory lock and
 * only then starts the workers; `stop()` drains them within the shutdown budget.
 */
export function createTaskRunner(deps: TaskRunnerDependencies) {
  const { config, logger } = deps;
  let phase: Phase = 'starting';
  const migrations: RunnerStatus['migrations'] = { state: 'pending', applied: [] };
  let workers: Workers | undefined;

  return {
    status(): RunnerStatus {
      const running = workers?.running ?? false;
      return {
        ready: phase === 'running' && running,
        phase,
        migrations,
        workers: { running, queues: workers?.workers.map((worker) => worker.name) ?? [] },
      };
    },

    async start(): Promise<void> {
      phase = 'migrating';
      try {
        const result = await runMigrations({ connectionString: config.DATABASE_URL, logger });
        migrations.state = 'applied';
        migrations.applied = result.applied;
      } catch (error) {
        phase = 'failed';
        migrations.state = 'failed';
        throw error;
      }
      workers = startWorkers({
        definitions: jobDefinitions(deps),
        connection: deps.redis,
        prefix: config.QUEUE_PREFIX,
        taskState: createTaskState(deps.db),
        logger,
      });
      phase = 'running';
      logger.info({ queues: workers.workers.map((worker) => worker.name) }, 'workers started');
    },

    async stop(): Promise<void> {
      phase = 'stopping';
      if (workers) {
        const outcome = await workers.stop(config.SHUTDOWN_TIMEOUT_MS);
        logger.info({ outcome }, 'workers stopped');
      }
      phase = 'stopped';
    },
  };
}

export type TaskRunner = ReturnType<typeof createTaskRunner>;
