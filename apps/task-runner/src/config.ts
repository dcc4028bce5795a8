import { database, int, parseEnv, queue, redis, runtime, type Env } from '@repo/config';
import { z } from 'zod';

const schema = z
  .object({
    ...runtime,
    ...database,
    ...redis,
    ...queue,
    /** Internal port for /health, /ready and /metrics; not published outside the private network. */
    HEALTH_PORT: int(1, 65535).default(3001),
    /**
     * SIGTERM waits this long for active jobs, then aborts them. Keep it below the platform's grace
     * period (compose `stop_grace_period`, ECS `stopTimeout`, Render's shutdown delay) so the
     * process exits by itself instead of being killed mid-write.
     */
    SHUTDOWN_TIMEOUT_MS: int(1_000, 120_000).default(25_000),
    INGEST_CONCURRENCY: int(1, 64).default(4),
    INGEST_TIMEOUT_MS: int(1_000, 3_600_000).default(120_000),
    /** Characters per chunk and characters shared between neighbouring chunks. */
    CHUNK_SIZE: int(100, 20_000).default(1_000),
    CHUNK_OVERLAP: int(0, 5_000).default(150),
  })
  .refine((config) => config.CHUNK_OVERLAP < config.CHUNK_SIZE, {
    path: ['CHUNK_OVERLAP'],
    message: 'must be smaller than CHUNK_SIZE',
  });

export type TaskRunnerConfig = z.infer<typeof schema>;

export function loadConfig(env: Env = process.env): TaskRunnerConfig {
  return parseEnv(schema, env);
}
