import {
  database,
  DEVELOPMENT_SERVICE_TOKEN,
  http,
  httpServerTimeouts,
  int,
  modelPrices,
  parseEnv,
  queue,
  redis,
  refineDatabase,
  runQuotas,
  runtime,
  secret,
  serviceUrl,
  sse,
  type Env,
  weakSecretReason,
} from '@repo/config';
import { z } from 'zod';

export const PROVIDERS = ['openai', 'anthropic', 'google', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** The variables a provider needs, named in errors and in the 503 a turn answers without one. */
export const PROVIDER_VARIABLES: Record<ProviderName, { key?: string; baseUrl?: string }> = {
  openai: { key: 'OPENAI_API_KEY' },
  anthropic: { key: 'ANTHROPIC_API_KEY' },
  google: { key: 'GOOGLE_GENERATIVE_AI_API_KEY' },
  'openai-compatible': { baseUrl: 'OPENAI_COMPATIBLE_BASE_URL' },
};

const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' });

const mcpServers = z
  .string()
  .transform((value, context) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'expected JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(
      z.object({
        name: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'server names are 1-32 of a-z 0-9 _ -'),
        url: httpUrl,
        headers: z.record(z.string(), z.string()).default({}),
        /**
         * Which of its tools wait for a person's approval before they run: all (`true`), none
         * (`false`, the default), or the ones named (unprefixed, as the server lists them).
         */
        requireApproval: z
          .union([z.boolean(), z.array(z.string().min(1).max(128)).min(1).max(200)])
          .default(false),
      }),
    ),
  );

/** API_MCP_REQUIRE_APPROVAL as the toolbox's rule for the api's server. */
export const apiToolsApproval = (setting: 'writes' | 'all' | 'none') =>
  setting === 'writes' ? ('writes' as const) : setting === 'all';

/**
 * The dev profile's service token (compose.yaml). Published, so accepted only with
 * NODE_ENV=development or test (`parseEnv` refuses it anywhere else, like every published value).
 */
export { DEVELOPMENT_SERVICE_TOKEN };

const schema = z
  .object({
    ...runtime,
    ...http,
    PORT: int(1, 65535).default(3002),
    ...database,
    ...redis,
    ...queue,
    ...sse,
    /**
     * Slow clients: the whole request within 30 s. A JSON turn writes nothing until it ends, and the
     * task-runner waits up to its AGENT_RUN_TIMEOUT_MS (5 min) for one: silence is allowed 10 min.
     */
    ...httpServerTimeouts({ idleTimeoutMs: 600_000 }),
    /** Every caller (the api, the task-runner) presents it; there is no anonymous access. */
    SERVICE_AUTH_TOKEN: secret(z.string().min(1)),

    /** `<provider>:<model>`, e.g. `openai:gpt-4.1-mini`, `anthropic:claude-sonnet-4-5`, `openai-compatible:llama3.2`. Unset: no model. */
    AGENT_MODEL: z
      .string()
      .regex(
        new RegExp(`^(${PROVIDERS.join('|')}):.+$`),
        `expected <provider>:<model> with provider one of ${PROVIDERS.join(', ')}`,
      )
      .optional(),
    OPENAI_API_KEY: secret(z.string()).optional(),
    /** Another endpoint for the OpenAI provider (a proxy, Azure-style gateway). */
    OPENAI_BASE_URL: httpUrl.optional(),
    ANTHROPIC_API_KEY: secret(z.string()).optional(),
    GOOGLE_GENERATIVE_AI_API_KEY: secret(z.string()).optional(),
    /** Any server speaking OpenAI chat completions: Ollama (http://ollama:11434/v1), vLLM, LM Studio. */
    OPENAI_COMPATIBLE_BASE_URL: httpUrl.optional(),
    OPENAI_COMPATIBLE_API_KEY: secret(z.string()).optional(),

    AGENT_SYSTEM_PROMPT: z
      .string()
      .default(
        "You are Keelson's assistant. Answer from the user's documents when they are relevant: search them with the tools you have, and say so when nothing relevant is found.",
      ),
    AGENT_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.2),
    AGENT_MAX_OUTPUT_TOKENS: int(16, 200_000).default(1_024),
    /** Tokens of history (system prompt, summary, newest turns) sent with each model call. */
    AGENT_TOKEN_BUDGET: int(512, 2_000_000).default(8_000),
    /**
     * Prices per million tokens, per `<provider>:<model>` (JSON; see @repo/config prices.ts): each
     * model call's cost is recorded with its tokens. A model left out is not priced (cost null).
     */
    ...modelPrices,
    /** Model calls in one turn; a model that keeps calling tools is stopped here. */
    AGENT_MAX_STEPS: int(1, 50).default(6),
    /** QUOTA_MONTHLY_TOKENS, QUOTA_CONCURRENT_RUNS: enforced here (runs/run-quota.ts), shown by the api. */
    ...runQuotas,
    /** One model call (one step) may take this long before it is aborted. */
    AGENT_MODEL_TIMEOUT_MS: int(1_000, 600_000).default(60_000),
    /** Retries of a failed model call (429, 5xx, network), with the AI SDK's exponential backoff. */
    AGENT_MODEL_RETRIES: int(0, 10).default(2),

    /**
     * The api's MCP endpoint: the stack's own tools (search documents, tasks). A scheme-less
     * `host:port` (Render's `hostport`) means http://host:port/mcp. Unset: none.
     */
    API_MCP_URL: serviceUrl({ path: '/mcp' }).optional(),
    /**
     * Which of the api's tools wait for the owner's approval before they run: `writes` (the
     * default: every tool not annotated read-only, such as create_task), `all`, or `none`.
     */
    API_MCP_REQUIRE_APPROVAL: z.enum(['writes', 'all', 'none']).default('writes'),
    /**
     * More MCP servers, as JSON: [{"name": "weather", "url": "http://…/mcp", "headers": {…}}].
     * Secret: the headers usually carry the servers' credentials, so it may come from
     * AGENT_MCP_SERVERS_FILE and a configuration error never prints it.
     */
    AGENT_MCP_SERVERS: secret(mcpServers).default([]),
    MCP_TIMEOUT_MS: int(100, 120_000).default(10_000),
    /** A server's tool list is reused this long before it is asked again (0: asked on every turn). */
    MCP_TOOLS_TTL_MS: int(0, 3_600_000).default(30_000),
    MCP_RETRIES: int(0, 5).default(1),

    /**
     * A run's lease: the executing agent renews it every third of this while the run lives. A run
     * whose agent died (kill -9, OOM) is failed by the task-runner's reaper once it expired, so
     * this plus RUN_REAPER_INTERVAL_MS bounds how long a lost run shows `running`.
     */
    RUN_LEASE_MS: int(3_000, 600_000).default(15_000),
    /** A running run stores its new events (and renews its lease with them) this often. */
    RUN_FLUSH_INTERVAL_MS: int(20, 5_000).default(200),

    /**
     * A tool call waiting for approval expires after this long: the task-runner's reaper then
     * ends its run `failed` with error code `approval-expired`. Default 1 h, at most 30 days.
     */
    RUN_APPROVAL_TIMEOUT_MS: int(1_000, 30 * 24 * 3_600_000).default(3_600_000),

    /** SIGTERM lets running turns (and streams) finish for this long. */
    SHUTDOWN_TIMEOUT_MS: int(1_000, 120_000).default(20_000),
  })
  .superRefine((config, context) => {
    const problem = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (config.AGENT_MODEL) {
      const provider = config.AGENT_MODEL.split(':')[0] as ProviderName;
      const needs = PROVIDER_VARIABLES[provider];
      const configured = config as Record<string, unknown>;
      if (needs.key && configured[needs.key] === undefined) {
        problem(needs.key, `is required because AGENT_MODEL uses the ${provider} provider`);
      }
      if (needs.baseUrl && configured[needs.baseUrl] === undefined) {
        problem(needs.baseUrl, `is required because AGENT_MODEL uses the ${provider} provider`);
      }
    }
    // Renewals come with the flushes' ticks: at least three must fit in a lease.
    if (config.RUN_FLUSH_INTERVAL_MS * 3 > config.RUN_LEASE_MS) {
      problem(
        'RUN_FLUSH_INTERVAL_MS',
        'must be at most a third of RUN_LEASE_MS (the lease is renewed on its ticks)',
      );
    }
    if (config.HTTP_IDLE_TIMEOUT_MS <= config.AGENT_MODEL_TIMEOUT_MS) {
      problem(
        'HTTP_IDLE_TIMEOUT_MS',
        'must be longer than AGENT_MODEL_TIMEOUT_MS: a turn may be silent for a whole model step, and would be cut',
      );
    }
    if (config.NODE_ENV === 'production') {
      const reason = weakSecretReason(config.SERVICE_AUTH_TOKEN);
      if (reason) problem('SERVICE_AUTH_TOKEN', reason);
    }
  })
  .superRefine(refineDatabase);

export type AgentConfig = z.infer<typeof schema>;

export function loadConfig(env: Env = process.env): AgentConfig {
  return parseEnv(schema, env);
}
