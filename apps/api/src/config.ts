import {
  cors,
  database,
  http,
  int,
  jwt,
  parseEnv,
  productionProblems,
  queue,
  redis,
  refineDatabase,
  refineStorage,
  runtime,
  serviceAuth,
  serviceUrl,
  sse,
  storage,
  trustProxy,
  type Env,
} from '@repo/config';
import { z } from 'zod';

/**
 * Used when JWT_SECRET is unset outside production, so `dev` and the `token` script work with no
 * setup. It is public (it is right here), which is why production refuses to start with it.
 */
export const DEVELOPMENT_JWT_SECRET = 'keelson-development-jwt-secret-never-use-in-production';

const auth = {
  ...jwt,
  ...serviceAuth,
};

/** Production refuses these values: each is public, or one anybody would guess. */
const knownDefaults = [DEVELOPMENT_JWT_SECRET];

function refuseInsecureProduction(
  config: { NODE_ENV: string; AGENT_URL?: string | undefined } & Parameters<typeof productionProblems>[0],
  ctx: z.RefinementCtx,
) {
  if (config.JWT_SECRET !== undefined && config.JWT_JWKS_URL !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_JWKS_URL'],
      message: 'set either JWT_SECRET (HS256) or JWT_JWKS_URL (RS256/ES256), not both',
    });
  }
  if (config.AGENT_URL !== undefined && config.SERVICE_AUTH_TOKEN === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['SERVICE_AUTH_TOKEN'],
      message: 'is required because AGENT_URL is set: the api calls the agent service with it',
    });
  }
  if (config.NODE_ENV !== 'production') return;
  for (const [name, message] of productionProblems(config, { knownDefaults })) {
    ctx.addIssue({ code: 'custom', path: [name], message });
  }
}

const schema = z
  .object({
    ...runtime,
    ...http,
    ...database,
    ...redis,
    ...queue,
    ...auth,
    ...cors,
    ...trustProxy,
    ...sse,
    /** Object storage of uploaded files (S3_*, see @repo/config); unset: text documents only. */
    ...storage,
    /**
     * An uploaded file larger than this is refused with 413 naming it, as soon as that many bytes
     * have arrived. Keep the task-runner's CONVERT_MAX_FILE_BYTES at least this large.
     */
    UPLOAD_MAX_BYTES: int(1_024, 1024 ** 3).default(25 * 1024 * 1024),
    /** Larger JSON bodies are refused with 413 before they are parsed (uploads: UPLOAD_MAX_BYTES). */
    BODY_LIMIT_BYTES: int(1_024, 50 * 1024 * 1024).default(2 * 1024 * 1024),
    /**
     * How long a SIGTERM waits for in-flight requests before the process exits anyway. Keep it
     * below the platform's grace period (compose `stop_grace_period`, ECS `stopTimeout`, …).
     */
    SHUTDOWN_TIMEOUT_MS: int(1_000, 120_000).default(10_000),
    /**
     * Requests per caller (owner, or IP address without a valid token) per window, counted in
     * Redis so every replica shares the budget.
     */
    RATE_LIMIT_MAX: int(1, 1_000_000).default(600),
    RATE_LIMIT_WINDOW_MS: int(1_000, 24 * 3600 * 1000).default(60_000),
    /** Above this mean event-loop delay the api sheds load (503 + Retry-After) instead of queueing it. */
    UNDER_PRESSURE_MAX_EVENT_LOOP_DELAY_MS: int(10, 60_000).default(1_000),
    /** Heap limit for load shedding; 0 means 90 % of V8's heap limit for this process. */
    UNDER_PRESSURE_MAX_HEAP_USED_BYTES: int(0, 64 * 1024 ** 3).default(0),
    UNDER_PRESSURE_SAMPLE_INTERVAL_MS: int(10, 60_000).default(1_000),
    UNDER_PRESSURE_RETRY_AFTER_S: int(1, 3_600).default(10),
    /**
     * The agent service (e.g. http://agent:3002), called with SERVICE_AUTH_TOKEN for the caller.
     * A scheme-less `host:port` (Render's `hostport`) means http://host:port.
     * Unset: the conversation routes still work, sending a message answers 503 naming it.
     */
    AGENT_URL: serviceUrl().optional(),
    /**
     * How long the api waits for the agent's response headers — for a JSON turn, the whole turn;
     * for a streamed one, the first event or heartbeat, and then for each next chunk (the agent's
     * heartbeats count, so only a wedged agent hits it). Keep it above the agent's
     * AGENT_MODEL_TIMEOUT_MS, so the agent's own, more precise 504 arrives first.
     */
    AGENT_TIMEOUT_MS: int(100, 600_000).default(120_000),
  })
  .superRefine(refuseInsecureProduction)
  .superRefine(refineDatabase)
  .superRefine(refineStorage);

export type ApiConfig = z.infer<typeof schema>;

export function loadConfig(env: Env = process.env): ApiConfig {
  return parseEnv(schema, env);
}

const tokenSchema = z
  .object({ ...runtime, ...jwt, ...serviceAuth, ...cors })
  .superRefine(refuseInsecureProduction);

/** What the `token` command needs: the signing secret and the claims the api will check. */
export function loadTokenConfig(env: Env = process.env) {
  return parseEnv(tokenSchema, env);
}

/** The HS256 secret in force: the configured one, or the public development one outside production. */
export function signingSecret(config: Pick<ApiConfig, 'NODE_ENV' | 'JWT_SECRET' | 'JWT_JWKS_URL'>) {
  if (config.JWT_JWKS_URL !== undefined) return undefined;
  return config.JWT_SECRET ?? (config.NODE_ENV === 'production' ? undefined : DEVELOPMENT_JWT_SECRET);
}
