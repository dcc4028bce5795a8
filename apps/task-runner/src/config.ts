import {
  database,
  int,
  listen,
  migrationDatabase,
  parseEnv,
  queue,
  redis,
  refineDatabase,
  runtime,
  secret,
  serviceUrl,
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

    /** How often the leader runs the `maintenance` job. */
    MAINTENANCE_INTERVAL_MS: int(MINUTE, 24 * 60 * MINUTE).default(10 * MINUTE),
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
  .superRefine(refineDatabase);

export type TaskRunnerConfig = z.infer<typeof schema>;

export function loadConfig(env: Env = process.env): TaskRunnerConfig {
  return parseEnv(schema, env);
}
