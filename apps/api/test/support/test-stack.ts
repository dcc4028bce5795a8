import { createDatabase, createPool, runMigrations, type Pool } from '@repo/db';
import { startFakeLlm, type FakeLlm, type Responder } from '@repo/fake-llm';
import { createMetricsRegistry } from '@repo/observability';
import { createRedis, type Redis } from '@repo/queue';
import { createTestDatabase, freePort, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { inject } from 'vitest';
// The agent is built by its own production factory, exactly as its own tests build it
// (apps/agent/test/support/test-agent.ts): this file is the api's end of the same contract.
import { buildAgentApp, type AgentApp } from '../../../agent/src/app.ts';
import { apiToolsApproval, loadConfig as loadAgentConfig } from '../../../agent/src/config.ts';
import { createAgentMetrics } from '../../../agent/src/metrics/agent-metrics.ts';
import { createLanguageModel } from '../../../agent/src/models/language-model.ts';
import { createToolbox, type Toolbox } from '../../../agent/src/tools/mcp-toolbox.ts';
import { createTestApp, silentLogger, TEST_SERVICE_TOKEN, type TestApp } from './test-app.ts';

export interface TestStack {
  /** The api, listening on `apiUrl`, with AGENT_URL pointing at the agent. */
  api: TestApp;
  apiUrl: string;
  agent: AgentApp;
  agentUrl: string;
  /** The model provider the agent calls (OpenAI-compatible, scripted per test). */
  fake: FakeLlm;
  database: TestDatabase;
  /** Another api on the same database (other AGENT_URL / timeouts); closed with the stack. */
  apiWith(env: Record<string, string>): Promise<TestApp>;
  /** Another replica of the api (as `apiWith`), listening on 127.0.0.1: its base URL. */
  replicaUrl(env?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/**
 * api → agent → model, and agent → api's /mcp for tools: both services built by their production
 * factories on one database (migrated once), sharing the service token, the agent's model being
 * the fake provider and its `keelson` toolbox server being the api's /mcp — configured as the
 * agent's main.ts configures API_MCP_URL.
 */
export async function createTestStack(
  options: { apiEnv?: Record<string, string>; agentEnv?: Record<string, string>; responder?: Responder } = {},
): Promise<TestStack> {
  const database = await createTestDatabase(inject('databaseUrl'), 'stack');
  await runMigrations({ connectionString: database.url, tls: { mode: 'disable' }, logger: silentLogger });
  const fake = await startFakeLlm(options.responder ? { responder: options.responder } : {});
  const apiPort = await freePort();
  // One queue prefix for the api and the agent: the runs' streams and channels are named after it.
  const prefix = uniqueId('stack');
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const agentConfig = loadAgentConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    SERVICE_AUTH_TOKEN: TEST_SERVICE_TOKEN,
    QUEUE_PREFIX: prefix,
    AGENT_MODEL: 'openai-compatible:fake-model',
    OPENAI_COMPATIBLE_BASE_URL: fake.url,
    AGENT_MODEL_RETRIES: '0',
    ...options.agentEnv,
  });
  const agentPool: Pool = createPool({
    connectionString: database.url,
    tls: { mode: 'disable' },
    applicationName: 'agent-test',
    max: 5,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    onError: () => {},
  });
  const registry = createMetricsRegistry('agent', { defaultMetrics: false });
  const metrics = createAgentMetrics(registry);
  const toolbox: Toolbox = createToolbox({
    servers: [
      {
        name: 'keelson',
        url: `${apiUrl}/mcp`,
        headers: { authorization: `Bearer ${TEST_SERVICE_TOKEN}` },
        ownerScoped: true,
        prefix: false,
        requireApproval: apiToolsApproval(agentConfig.API_MCP_REQUIRE_APPROVAL),
      },
    ],
    timeoutMs: 5_000,
    retries: 0,
    cooldownMs: 0,
    logger: silentLogger,
  });
  const agentRedis: Redis = createRedis(inject('redisUrl'), 'producer', 'agent-test');
  const agentSubscriber: Redis = createRedis(inject('redisUrl'), 'worker', 'agent-test-subscriber');
  agentRedis.on('error', () => {});
  agentSubscriber.on('error', () => {});
  await waitFor(() => agentRedis.status === 'ready' && agentSubscriber.status === 'ready', { what: 'redis' });
  const agent = await buildAgentApp({
    config: agentConfig,
    logger: silentLogger,
    pool: agentPool,
    db: createDatabase(agentPool),
    model: await createLanguageModel(agentConfig),
    toolbox,
    registry,
    metrics,
    requestSummary: () => {},
    redis: agentRedis,
    subscriber: agentSubscriber,
  });
  const agentUrl = await agent.listen({ host: '127.0.0.1', port: 0 });

  const api = await createTestApp({ database, prefix, env: { AGENT_URL: agentUrl, ...options.apiEnv } });
  await api.app.listen({ host: '127.0.0.1', port: apiPort });

  const others: TestApp[] = [];
  const apiWith = async (env: Record<string, string>) => {
    const other = await createTestApp({ database, prefix, env: { AGENT_URL: agentUrl, ...env } });
    others.push(other);
    return other;
  };
  return {
    api,
    apiUrl,
    agent,
    agentUrl,
    fake,
    database,
    apiWith,
    async replicaUrl(env = {}) {
      return (await apiWith(env)).app.listen({ host: '127.0.0.1', port: 0 });
    },
    async close() {
      for (const other of others) await other.close();
      await api.close();
      await agent.close();
      agentRedis.disconnect();
      agentSubscriber.disconnect();
      await toolbox.close();
      await agentPool.end();
      await fake.close();
      await database.drop();
    },
  };
}
