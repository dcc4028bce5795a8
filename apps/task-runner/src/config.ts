import {
  database,
  embedding,
  int,
  listen,
  migrationDatabase,
  modelPrices,
  parseEnv,
  queue,
  redis,
  refineDatabase,
  refineEmbedding,
  refineStorage,
  runtime,
  secret,
  serviceUrl,
  storage,
  type Env,
  weakSecretReason,
} from '@repo/config';
import { z } from 'zod';

const MINUTE = 60_000;

const schema = z
  .object({
    ...runtime,
    ...database,
    /** The leader migrates as this role (the schema's owner); its jobs run as DATABASE_URL's. */
    ...migrationDatabase,
    ...redis,
    ...queue,
    /** Object storage of uploaded files (S3_*, see @repo/config); unset: text documents only. */
    ...storage,
    /** The health server's address (`::` where the private network is IPv6-only, as on older Railway environments). */
    ...listen,
    /** Internal port for /health, /ready, /metrics (and /queues outside production); never published. */
    HEALTH_PORT: int(1, 65535).default(3001),
    /**
     * SIGTERM waits this long for active jobs, then aborts them. Keep it below the platform's grace
     * period (compose `stop_grace_period`, ECS `stopTimeout`, Render's shutdown delay) so the
     * process exits by itself instead of being killed mid-write.
     */
    SHUTDOWN_TIMEOUT_MS: int(1_000, 120_000).default(25_000),

    /**
     * A standby tries to take the leader lock this often, and the leader checks its lock's session
     * this often: a standby takes over within about this long after the leader stops or dies.
     */
    LEADER_POLL_MS: int(100, 60_000).default(2_000),
    /** The leader's session check must answer within this long, or the leader steps down. */
    LEADER_HEARTBEAT_TIMEOUT_MS: int(100, 30_000).default(2_000),

    /**
     * A job's lock in Redis lasts this long and is renewed at half of it while the job runs. When a
     * runner dies, its jobs are recovered ("stalled") once their lock has expired, checked every
     * JOB_STALLED_INTERVAL_MS: recovery takes at most the sum of the two.
     */
    JOB_LOCK_DURATION_MS: int(1_000, 10 * MINUTE).default(30_000),
    JOB_STALLED_INTERVAL_MS: int(500, 10 * MINUTE).default(15_000),

    INGEST_CONCURRENCY: int(1, 64).default(4),
    INGEST_TIMEOUT_MS: int(1_000, 60 * MINUTE).default(2 * MINUTE),
    /** Characters per chunk and characters shared between neighbouring chunks. */
    CHUNK_SIZE: int(100, 20_000).default(1_000),
    CHUNK_OVERLAP: int(0, 5_000).default(150),
    /**
     * The embedding model (EMBEDDING_*, see @repo/config embedding.ts): each document's chunks are
     * embedded at ingestion. Unset: chunks are stored without vectors (search is full text only).
     */
    ...embedding,
    /** Prices per million tokens per `<provider>:<model>` (JSON): each embedding call's cost is recorded. */
    ...modelPrices,

    /**
     * Uploaded files converted at once (each in a worker thread of its own). Together with
     * CONVERT_MEMORY_MB it bounds what conversion can take from the process's memory.
     */
    CONVERT_CONCURRENCY: int(1, 16).default(2),
    /** One file's conversion (a PDF's text extraction, a DOCX's unzipping) is given up after this. */
    CONVERT_TIMEOUT_MS: int(1_000, 30 * MINUTE).default(30_000),
    /** Heap plus buffers one file's conversion may use, the file's own bytes included. */
    CONVERT_MEMORY_MB: int(16, 4_096).default(128),
    /** A stored file larger than this is not read (keep it at least the api's UPLOAD_MAX_BYTES). */
    CONVERT_MAX_FILE_BYTES: int(1_024, 1024 ** 3).default(64 * 1024 ** 2),
    /** What a DOCX's text parts may expand to when unzipped: a zip bomb stops here. */
    CONVERT_MAX_UNZIPPED_BYTES: int(1_024 ** 2, 4 * 1024 ** 3).default(64 * 1024 ** 2),

    /** How often the leader runs the `maintenance` job. */
    MAINTENANCE_INTERVAL_MS: int(MINUTE, 24 * 60 * MINUTE).default(10 * MINUTE),
    /**
     * How often the leader fails the agent runs whose lease expired (their agent died). A lost
     * run shows `running` for at most the agent's RUN_LEASE_MS plus this.
     */
    RUN_REAPER_INTERVAL_MS: int(1_000, 10 * MINUTE).default(5_000),
    /** Finished tasks (succeeded, failed, cancelled) are deleted this many days after they finished. */
    TASK_RETENTION_DAYS: int(1, 3_650).default(30),
    /**
     * A task still `running` this long after its last attempt started, whose job is no longer
     * in progress in Redis, is marked failed. Must exceed every job's timeout.
     */
    TASK_STUCK_AFTER_MS: int(MINUTE, 7 * 24 * 60 * MINUTE).default(30 * MINUTE),
    /** A task still `queued` this long after it was created, whose job is missing from Redis, is re-enqueued. */
    TASK_REQUEUE_AFTER_MS: int(10_000, 24 * 60 * MINUTE).default(5 * MINUTE),
    /**
     * The agent service, for `agent-run` and `summarize-conversation` jobs. Unset: those jobs fail
     * at once with an error naming this variable (the rest of the runner works without an agent).
     * A scheme-less `host:port` (Render's `hostport`) means http://host:port.
     */
    AGENT_URL: serviceUrl().optional(),
    /** The token the agent expects from internal callers (the same value the api and agent have). */
    SERVICE_AUTH_TOKEN: secret(z.string()).optional(),
    AGENT_RUN_CONCURRENCY: int(1, 64).default(2),
    /** A background turn (every model step and tool call) may take this long. */
    AGENT_RUN_TIMEOUT_MS: int(10_000, 60 * MINUTE).default(5 * MINUTE),
  })
  .superRefine((config, context) => {
    // As in the api and the agent (the three share one token). A published value is refused by
    // parseEnv itself, outside development and test.
    if (config.NODE_ENV !== 'production' || config.SERVICE_AUTH_TOKEN === undefined) return;
    const reason = weakSecretReason(config.SERVICE_AUTH_TOKEN);
    if (reason) context.addIssue({ code: 'custom', path: ['SERVICE_AUTH_TOKEN'], message: reason });
  })
  .refine((config) => config.AGENT_URL === undefined || config.SERVICE_AUTH_TOKEN !== undefined, {
    path: ['SERVICE_AUTH_TOKEN'],
    message: 'is required when AGENT_URL is set: the agent authenticates every call',
  })
  .refine(
    // Only where files can be uploaded (S3_BUCKET): a text-only runner converts nothing, and its
    // INGEST_TIMEOUT_MS stays free as before.
    (config) =>
      config.S3_BUCKET === undefined ||
      config.CONVERT_TIMEOUT_MS * Math.ceil(config.INGEST_CONCURRENCY / config.CONVERT_CONCURRENCY) <
        config.INGEST_TIMEOUT_MS,
    {
      path: ['CONVERT_TIMEOUT_MS'],
      message:
        'times ceil(INGEST_CONCURRENCY / CONVERT_CONCURRENCY) must be shorter than INGEST_TIMEOUT_MS: an ingestion may wait for the conversions ahead of it, then convert',
    },
  )
  .refine((config) => config.CHUNK_OVERLAP < config.CHUNK_SIZE, {
    path: ['CHUNK_OVERLAP'],
    message: 'must be smaller than CHUNK_SIZE',
  })
  .refine(
    (config) => config.TASK_STUCK_AFTER_MS > Math.max(config.INGEST_TIMEOUT_MS, config.AGENT_RUN_TIMEOUT_MS),
    {
      path: ['TASK_STUCK_AFTER_MS'],
      message:
        'must be longer than INGEST_TIMEOUT_MS and AGENT_RUN_TIMEOUT_MS, or running jobs would be declared stuck',
    },
  )
  .superRefine(refineDatabase)
  .superRefine(refineStorage)
  .superRefine(refineEmbedding);

export type TaskRunnerConfig = z.infer<typeof schema>;

export function loadConfig(env: Env = process.env): TaskRunnerConfig {
  return parseEnv(schema, env);
}
