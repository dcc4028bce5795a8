import type { Database } from '@repo/db';
import type { Logger } from '@repo/observability';
import type { Producer } from '@repo/queue';
import type { TaskRunnerConfig } from '../config.ts';
import { ingestDocumentJob } from './ingest-document.job.ts';
import type { JobDefinition } from './job-definition.ts';
import type { JobSchedule } from './job-schedulers.ts';
import { maintenanceJob } from './maintenance.job.ts';
import type { TaskState } from './task-state.ts';

export interface JobTableDependencies {
  config: TaskRunnerConfig;
  db: Database;
  producer: Producer;
  taskState: TaskState;
  logger: Logger;
}

const DAY = 24 * 3600 * 1_000;

/** The job table: every kind of job this process runs, with its concurrency and timeout. */
export function jobTable({ config, db, producer, taskState, logger }: JobTableDependencies): JobDefinition[] {
  const ingest = ingestDocumentJob({
    db,
    split: { chunkSize: config.CHUNK_SIZE, overlap: config.CHUNK_OVERLAP },
    concurrency: config.INGEST_CONCURRENCY,
    timeoutMs: config.INGEST_TIMEOUT_MS,
  });
  const maintenance = maintenanceJob(
    { db, producer, taskState, logger, definitions: new Map<string, JobDefinition>([[ingest.name, ingest]]) },
    {
      retentionMs: config.TASK_RETENTION_DAYS * DAY,
      stuckAfterMs: config.TASK_STUCK_AFTER_MS,
      requeueAfterMs: config.TASK_REQUEUE_AFTER_MS,
    },
  );
  return [ingest, maintenance] as JobDefinition[];
}

/** Jobs the leader schedules itself (upserted on every leader start). */
export function jobSchedules(config: TaskRunnerConfig): JobSchedule[] {
  return [{ id: 'maintenance', queue: 'maintenance', everyMs: config.MAINTENANCE_INTERVAL_MS }];
}
