import {
  cors,
  database,
  DEVELOPMENT_API_KEY_PEPPER,
  embedding,
  secret,
  DEVELOPMENT_JWT_SECRET,
  http,
  httpServerTimeouts,
  int,
  jwt,
  modelPrices,
  parseEnv,
  productionProblems,
  queue,
  redis,
  refineDatabase,
  refineEmbedding,
  refineStorage,
  runQuotas,
  runtime,
  serviceAuth,
  serviceUrl,
  sse,
  storage,
  trustProxy,
  weakSecretReason,
  type Env,
} from '@repo/config';
import { z } from 'zod';
import { consoleDir } from './console/console-dir.ts';
import { consoleOidc, refineConsoleOidc } from './console/console-config.ts';

/**
 * Used when JWT_SECRET is unset and NODE_ENV=development (explicitly: unset means production), so
 * `dev` and the `token` script work with no setup. It is public (it is in this repository), which
 * is why every other mode refuses to start without a secret of its own, and refuses this one.
 */
export { DEVELOPMENT_JWT_SECRET };

const auth = {
  ...jwt,
  ...serviceAuth,
};

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
  if (config.NODE_ENV === 'test' && config.JWT_SECRET === undefined && config.JWT_JWKS_URL === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message:
        'is required unless NODE_ENV=development (or set JWT_JWKS_URL): only development signs with the public development secret',
    });
  }
  if (config.NODE_ENV !== 'production') return;
  for (const [name, message] of productionProblems(config)) {
    ctx.addIssue({ code: 'custom', path: [name], message });
  }
}

/** API_KEY_PEPPER: required in production and as strong as the other secrets, distinct from them. */
function refuseWeakPepper(
  config: { NODE_ENV: string; API_KEY_PEPPER?: string | undefined; JWT_SECRET?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (config.NODE_ENV !== 'production') return;
  if (config.API_KEY_PEPPER === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_KEY_PEPPER'],
      message:
        'is required in production: API keys are stored as HMACs keyed with it (outside production a public development pepper is used)',
    });
    return;
  }
  const reason = weakSecretReason(config.API_KEY_PEPPER);
  if (reason) ctx.addIssue({ code: 'custom', path: ['API_KEY_PEPPER'], message: reason });
  else if (config.API_KEY_PEPPER === config.JWT_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_KEY_PEPPER'],
      message: 'must differ from JWT_SECRET: whoever holds one secret must not hold the other',
    });
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
    /**
     * Slow clients: the whole request within 30 s, silence up to 150 s (the load balancer's
     * `timeout server`, above AGENT_TIMEOUT_MS: a JSON turn is silent until the agent answers).
     */
    ...httpServerTimeouts({ idleTimeoutMs: 150_000 }),
    /**
     * `/metrics` is served on this port only, never on PORT: the load balancer routes PORT, so
     * the metrics stay on the private network where Prometheus scrapes them.
     */
    METRICS_PORT: int(1, 65535).default(9464),
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
    /**
     * An agent run may queue another (the `create_task` tool), which may queue another…: a model
     * following instructions planted in a document would never stop. A run queued by an agent
     * run is one level deeper than it; beyond this depth, queueing is refused (403).
     */
    AGENT_RUN_MAX_DEPTH: int(0, 20).default(3),
    /** Agent runs an owner may have queued or running at once; one more is refused (429). */
    AGENT_RUN_MAX_OPEN_PER_OWNER: int(1, 10_000).default(20),
    /**
     * Default quotas per owner (an operator overrides them per owner in the `owner_quotas` table):
     * documents held, and the bytes of their text. One more is refused with 429 quota-exceeded.
     */
    QUOTA_DOCUMENTS: int(1, 100_000_000).default(10_000),
    QUOTA_STORED_BYTES: int(1_024, 2 ** 50).default(1024 ** 3),
    /**
     * The agent's run quotas (QUOTA_MONTHLY_TOKENS, QUOTA_CONCURRENT_RUNS), read here only to
     * show them (GET /v1/quotas): set them to the agent's values, the same schema validates both.
     */
    ...runQuotas,
    /**
     * The key of the HMAC-SHA-256 that API keys are stored as (apps/api/README.md, "API keys"):
     * without it a leaked database cannot even be used to check a guessed key. Changing it
     * invalidates every key issued. Unset outside production: the public development pepper.
     */
    API_KEY_PEPPER: secret(z.string()).optional(),
    /**
     * The embedding model (EMBEDDING_*, see @repo/config embedding.ts), the task-runner's: a
     * search query is embedded with it for hybrid search. Unset: full-text search.
     */
    ...embedding,
    /** Prices per million tokens per `<provider>:<model>` (JSON): each query embedding's cost is recorded. */
    ...modelPrices,
    /**
     * The web console's build (apps/web/dist), served at /console/ when set. The api image sets
     * it to the build it carries (docker/api/Dockerfile); empty or unset: no console routes
     * (`docker compose up` serves the console from Vite instead).
     */
    CONSOLE_DIR: consoleDir().optional(),
    /** The web console's OpenID Connect sign-in (CONSOLE_OIDC_*, console/console-config.ts). */
    ...consoleOidc,
  })
  .superRefine(refuseInsecureProduction)
  .superRefine(refineConsoleOidc)
  .superRefine(refuseWeakPepper)
  .superRefine(refineDatabase)
  .superRefine(refineStorage)
  .superRefine(refineEmbedding)
  .refine((config) => config.METRICS_PORT !== config.PORT, {
    path: ['METRICS_PORT'],
    message: 'must differ from PORT: the metrics are served on a port the load balancer does not route',
  })
  .refine((config) => config.HTTP_IDLE_TIMEOUT_MS > config.AGENT_TIMEOUT_MS, {
    path: ['HTTP_IDLE_TIMEOUT_MS'],
    message:
      'must be longer than AGENT_TIMEOUT_MS: a JSON turn writes nothing until the agent answers, and would be cut',
  });

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

const adminSchema = z.object({ ...runtime, ...database, ...redis, ...queue }).superRefine(refineDatabase);

/** What the `admin` command needs: the database, and Redis to announce a key's revocation. */
export function loadAdminConfig(env: Env = process.env) {
  return parseEnv(adminSchema, env);
}

/**
 * The HS256 secret in force: the configured one, or the public development one with
 * NODE_ENV=development (the configuration refuses every other mode without a secret).
 */
export function signingSecret(config: Pick<ApiConfig, 'NODE_ENV' | 'JWT_SECRET' | 'JWT_JWKS_URL'>) {
  if (config.JWT_JWKS_URL !== undefined) return undefined;
  return config.JWT_SECRET ?? (config.NODE_ENV === 'development' ? DEVELOPMENT_JWT_SECRET : undefined);
}

/** The pepper in force: the configured one, or the public development one outside production. */
export function apiKeyPepper(config: Pick<ApiConfig, 'API_KEY_PEPPER'>): string {
  return config.API_KEY_PEPPER ?? DEVELOPMENT_API_KEY_PEPPER;
}
