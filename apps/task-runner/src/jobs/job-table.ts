import { embeddingModelConfig } from '@repo/config';
import type { Database } from '@repo/db';
import { createEmbedder } from '@repo/embeddings';
import type { Logger, Registry } from '@repo/observability';
import type { Producer, Redis } from '@repo/queue';
import type { ObjectStorage } from '@repo/storage';
import type { TaskRunnerConfig } from '../config.ts';
import { createAgentClient, missingAgent } from '../agent/agent-client.ts';
import { createDocumentFiles } from '../ingestion/document-files.ts';
import { agentRunJob, summarizeConversationJob } from './agent-run.job.ts';
import { ingestDocumentJob } from './ingest-document.job.ts';
import type { JobDefinition } from './job-definition.ts';
import type { JobSchedule } from './job-schedulers.ts';
import { maintenanceJob } from './maintenance.job.ts';
import { reapRunsJob } from './reap-runs.job.ts';
import type { TaskState } from './task-state.ts';

export interface JobTableDependencies {
  config: TaskRunnerConfig;
  db: Database;
  producer: Producer;
  /** The producer's (fail-fast) connection: the reaper writes final events to runs' live streams. */
  redis: Redis;
  taskState: TaskState;
  logger: Logger;
  /** Uploaded files; undefined without S3_BUCKET. */
  storage: ObjectStorage | undefined;
  /** The process's metrics (the embedding model's counters). */
  metrics: Registry;
}

const DAY = 24 * 3600 * 1_000;

/** The job table: every kind of job this process runs, with its concurrency and timeout. */
export function jobTable(deps: JobTableDependencies): JobDefinition[] {
  const { config, db, producer, redis, taskState, logger, storage, metrics } = deps;
  const ingest = ingestDocumentJob({
    db,
    split: { chunkSize: config.CHUNK_SIZE, overlap: config.CHUNK_OVERLAP },
    files: createDocumentFiles({
      storage,
      limits: {
        timeoutMs: config.CONVERT_TIMEOUT_MS,
        memoryMb: config.CONVERT_MEMORY_MB,
        maxUnzippedBytes: config.CONVERT_MAX_UNZIPPED_BYTES,
      },
      concurrency: config.CONVERT_CONCURRENCY,
      maxFileBytes: config.CONVERT_MAX_FILE_BYTES,
    }),
    embedder: createEmbedder(embeddingModelConfig(config), { db, prices: config.MODEL_PRICES, metrics }),
    concurrency: config.INGEST_CONCURRENCY,
    timeoutMs: config.INGEST_TIMEOUT_MS,
  });
  const agent =
    config.AGENT_URL && config.SERVICE_AUTH_TOKEN
      ? createAgentClient({ url: config.AGENT_URL, serviceToken: config.SERVICE_AUTH_TOKEN })
      : missingAgent;
  const agentRun = agentRunJob({
    db,
    agent,
    concurrency: config.AGENT_RUN_CONCURRENCY,
    timeoutMs: config.AGENT_RUN_TIMEOUT_MS,
  });
  const summarize = summarizeConversationJob({ agent, timeoutMs: config.AGENT_RUN_TIMEOUT_MS });
  // Maintenance heals the tasks of these jobs (summaries have no task row).
  const taskJobs = new Map<string, JobDefinition>([
    [ingest.name, ingest],
    [agentRun.name, agentRun],
  ]);
  const maintenance = maintenanceJob(
    { db, producer, taskState, logger, storage, definitions: taskJobs },
    {
      retentionMs: config.TASK_RETENTION_DAYS * DAY,
      stuckAfterMs: config.TASK_STUCK_AFTER_MS,
      requeueAfterMs: config.TASK_REQUEUE_AFTER_MS,
    },
  );
  const reaper = reapRunsJob({
    db,
    redis,
    prefix: config.QUEUE_PREFIX,
    ...(agent === missingAgent ? {} : { agent }),
  });
  return [ingest, agentRun, summarize, maintenance, reaper] as JobDefinition[];
}

/** Jobs the leader schedules itself (upserted on every leader start). */
export function jobSchedules(config: TaskRunnerConfig): JobSchedule[] {
  return [
    { id: 'maintenance', queue: 'maintenance', everyMs: config.MAINTENANCE_INTERVAL_MS },
    { id: 'reap-runs', queue: 'reap-runs', everyMs: config.RUN_REAPER_INTERVAL_MS },
  ];
}
