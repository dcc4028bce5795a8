import { database, http, int, parseEnv, queue, redis, runtime, type Env } from '@repo/config';
import { z } from 'zod';

const schema = z.object({
  ...runtime,
  ...http,
  ...database,
  ...redis,
  ...queue,
  /** Larger bodies are refused with 413 before they are parsed. */
  BODY_LIMIT_BYTES: int(1_024, 50 * 1024 * 1024).default(2 * 1024 * 1024),
  /**
   * How long a SIGTERM waits for in-flight requests before the process exits anyway. Keep it
   * below the platform's grace period (compose `stop_grace_period`, ECS `stopTimeout`, …).
   */
  SHUTDOWN_TIMEOUT_MS: int(1_000, 120_000).default(10_000),
});

export type ApiConfig = z.infer<typeof schema>;

export function loadConfig(env: Env = process.env): ApiConfig {
  return parseEnv(schema, env);
}
