import { conversations, createDatabase, createPool, runMigrations, type Database, type Pool } from '@repo/db';
import { startFakeLlm, type FakeLlm, type Responder } from '@repo/fake-llm';
import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@repo/observability';
import { createRedis, type Redis } from '@repo/queue';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { inject } from 'vitest';
import { buildAgentApp, type AgentApp } from '../../src/app.ts';
import { DEVELOPMENT_SERVICE_TOKEN, loadConfig, type AgentConfig } from '../../src/config.ts';
import { createAgentMetrics } from '../../src/metrics/agent-metrics.ts';
import { createLanguageModel } from '../../src/models/language-model.ts';
import { createToolbox, type McpServerSpec, type Toolbox } from '../../src/tools/mcp-toolbox.ts';

export const TOKEN = DEVELOPMENT_SERVICE_TOKEN;
export const logger: Logger = createLogger({
  service: 'agent-test',
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
});

export interface TestAgent {
  /** The current app (`restart` replaces it). */
  app: AgentApp;
  config: AgentConfig;
  db: Database;
  pool: Pool;
  fake: FakeLlm;
  toolbox: Toolbox;
  registry: Registry;
  /** The agent's command connection (live streams), on the test file's own QUEUE_PREFIX. */
  redis: Redis;
  summaryRequests: string[];
  /** A conversation owned by `ownerId`, created the way the api does. */
  conversation(ownerId?: string): Promise<string>;
  headers(ownerId?: string, extra?: Record<string, string>): Record<string, string>;
  /**
   * Closes the app and builds a new one on the same database, Redis and model: a new agent
   * process as far as runs can tell (a new instance id, nothing in memory).
   */
  restart(): Promise<AgentApp>;
  close(): Promise<void>;
}

/**
 * The agent built by its production factory, on a database of its own (migrated unless
 * `migrate: false`), with the fake model as an OpenAI-compatible provider and the given MCP
 * servers. `env` overrides config.
 */
export async function createTestAgent(
  options: {
    env?: Record<string, string>;
    responder?: Responder;
    servers?: McpServerSpec[];
    withModel?: boolean;
    /** false: leave the database empty, as a new instance finds it before the migrate step. */
    migrate?: boolean;
    /** Rewrites the pool's database URL (e.g. through a TCP proxy that can take the database away). */
    poolUrl?: (databaseUrl: string) => string;
    /** The MCP call timeout (default 1 s, so tests of a failing server are quick). */
    toolTimeoutMs?: number;
    /** The app's and the toolbox's logger (default: silent), e.g. to read what a failure logged. */
    logger?: Logger;
  } = {},
): Promise<TestAgent> {
  const database: TestDatabase = await createTestDatabase(inject('databaseUrl'), 'agent');
  if (options.migrate ?? true)
    await runMigrations({ connectionString: database.url, tls: { mode: 'disable' }, logger });
  const fake = await startFakeLlm({ responder: options.responder });
  const config = loadConfig({
    // The development token and the test database's password are published values: test only.
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    SERVICE_AUTH_TOKEN: TOKEN,
    QUEUE_PREFIX: uniqueId('agent-test'),
    ...((options.withModel ?? true)
      ? { AGENT_MODEL: 'openai-compatible:fake-model', OPENAI_COMPATIBLE_BASE_URL: fake.url }
      : {}),
    AGENT_MODEL_RETRIES: '0',
    ...options.env,
  });
  const pool = createPool({
    connectionString: options.poolUrl?.(database.url) ?? database.url,
    tls: { mode: 'disable' },
    applicationName: 'agent-test',
    max: 5,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    onError: () => {},
  });
  const db = createDatabase(pool);
  const registry = createMetricsRegistry('agent', { defaultMetrics: false });
  const metrics = createAgentMetrics(registry);
  const toolbox = createToolbox({
    servers: options.servers ?? [],
    timeoutMs: options.toolTimeoutMs ?? 1_000,
    retries: 0,
    cooldownMs: 0,
    listTtlMs: config.MCP_TOOLS_TTL_MS,
    logger: options.logger ?? logger,
    onToolCall: (tool, outcome) => metrics.toolCalls.inc({ tool, outcome }),
  });
  const summaryRequests: string[] = [];
  const redis = createRedis(config.REDIS_URL, 'producer', 'agent-test');
  const subscriber = createRedis(config.REDIS_URL, 'worker', 'agent-test-subscriber');
  redis.on('error', () => {});
  subscriber.on('error', () => {});
  await waitFor(() => redis.status === 'ready' && subscriber.status === 'ready', { what: 'redis' });
  // A rebuilt app gets a registry of its own: its HTTP metrics would collide with the first one's.
  const build = async (appRegistry: Registry) => {
    const built = await buildAgentApp({
      config,
      logger: options.logger ?? logger,
      pool,
      db,
      model: await createLanguageModel(config),
      toolbox,
      registry: appRegistry,
      metrics,
      requestSummary: (_owner, conversationId) => summaryRequests.push(conversationId),
      redis,
      subscriber,
    });
    await built.ready();
    return built;
  };
  const app = await build(registry);

  const agent: TestAgent = {
    app,
    config,
    db,
    pool,
    fake,
    toolbox,
    registry,
    redis,
    summaryRequests,
    async conversation(ownerId = 'alice') {
      const [row] = await db.insert(conversations).values({ ownerId, title: 'test' }).returning();
      return row!.id;
    },
    headers(ownerId = 'alice', extra = {}) {
      return { authorization: `Bearer ${TOKEN}`, 'x-keelson-owner': ownerId, ...extra };
    },
    async restart() {
      await agent.app.close();
      agent.app = await build(createMetricsRegistry('agent', { defaultMetrics: false }));
      return agent.app;
    },
    async close() {
      await agent.app.close();
      redis.disconnect();
      subscriber.disconnect();
      await toolbox.close();
      await fake.close();
      await pool.end();
      await database.drop();
    },
  };
  return agent;
}
