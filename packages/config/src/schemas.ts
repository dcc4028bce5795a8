import { z } from 'zod';
import { databaseConnection } from './database.ts';
import { listen } from './network.ts';
import { secret } from './secret.ts';

/**
 * Building blocks shared by the apps. Each concern is a plain object of zod fields so an app
 * combines exactly the concerns it uses: `z.object({ ...runtime, ...database, ...redis })`.
 */

/** An integer read from the environment, with bounds so a typo cannot produce a silly value. */
export const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a number' })
    .int({ message: 'expected a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

const bool = z
  .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1');
export { bool as booleanString };

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/**
 * What an unset NODE_ENV means: production, with every production rule. Development's
 * conveniences (the public development secret, published defaults, /docs, bull-board) are an
 * explicit opt-in, so a platform or a hand-written unit file that forgets NODE_ENV gets a process
 * that refuses an unsafe configuration instead of one that accepts tokens anyone can mint.
 */
export const DEFAULT_NODE_ENV = 'production';

export const runtime = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default(DEFAULT_NODE_ENV),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const http = {
  ...listen,
  PORT: int(1, 65535).default(3000),
};

/** See database.ts for TLS (DATABASE_SSL_MODE, DATABASE_SSL_CA) and how it reads DATABASE_URL. */
export const database = {
  ...databaseConnection,
  /** Per process. With N replicas, N × this must stay under the server's max_connections. */
  DATABASE_POOL_MAX: int(1, 100).default(10),
  /** Any single statement running longer than this is cancelled by Postgres itself. */
  DATABASE_STATEMENT_TIMEOUT_MS: int(100, 600_000).default(15_000),
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5_000),
};

export const redis = {
  REDIS_URL: secret(url(['redis:', 'rediss:'])),
};

/** `QUEUE_PREFIX` lets several stacks (or test runs) share one Redis without colliding. */
export const queue = {
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'expected 1-32 lowercase letters, digits or dashes')
    .default('keelson'),
};

/**
 * Server-sent event streams: a comment (`: heartbeat`) goes out whenever a stream has been silent
 * this long, so no proxy on the path closes it as idle while a model thinks or a tool runs. Well
 * under the shortest idle timeout we know of on the platforms (an AWS ALB's default 60 s).
 */
export const sse = {
  SSE_HEARTBEAT_MS: int(100, 30_000).default(15_000),
};

/**
 * The run quotas' defaults (`owner_quotas.max_monthly_tokens` / `max_concurrent_runs` override
 * them per owner). The agent enforces them at every run's start; the api reports them
 * (GET /v1/quotas): both read these variables, set once per deployment for both.
 */
export const runQuotas = {
  /**
   * An owner's model tokens (input + output, every call: steps, summaries, embeddings) per
   * calendar month, UTC. A run starts only if the month's tokens plus one model call's worth for
   * it and for each run the owner already has going fit (see the agent's runs/run-quota.ts), and
   * stops between steps once it is spent.
   */
  QUOTA_MONTHLY_TOKENS: int(1_000, 1_000_000_000_000).default(100_000_000),
  /** Runs of one owner running or awaiting an approval at once. */
  QUOTA_CONCURRENT_RUNS: int(1, 10_000).default(20),
};
