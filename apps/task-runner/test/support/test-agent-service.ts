import { createDatabase, createPool } from '@repo/db';
import { startFakeLlm, type FakeLlm } from '@repo/fake-llm';
import { createMetricsRegistry } from '@repo/observability';
import { buildAgentApp, type AgentApp } from '../../../agent/src/app.ts';
import { DEVELOPMENT_SERVICE_TOKEN, loadConfig } from '../../../agent/src/config.ts';
import { createAgentMetrics } from '../../../agent/src/metrics/agent-metrics.ts';
import { createLanguageModel } from '../../../agent/src/models/language-model.ts';
import { createToolbox } from '../../../agent/src/tools/mcp-toolbox.ts';
import { silentLogger } from './test-runner.ts';

export interface TestAgentService {
  url: string;
  token: string;
  fake: FakeLlm;
  app: AgentApp;
  close(): Promise<void>;
}

/**
 * The real agent service (its own factory), listening on loopback, on the runner's database,
 * with the fake model as its provider: what the runner's agent jobs call in production.
 */
export async function startAgentService(databaseUrl: string, redisUrl: string): Promise<TestAgentService> {
  const fake = await startFakeLlm();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    SERVICE_AUTH_TOKEN: DEVELOPMENT_SERVICE_TOKEN,
    AGENT_MODEL: 'openai-compatible:fake-model',
    OPENAI_COMPATIBLE_BASE_URL: fake.url,
    AGENT_MODEL_RETRIES: '0',
  });
  const pool = createPool({
    connectionString: databaseUrl,
    tls: { mode: 'disable' },
    applicationName: 'agent-for-runner-test',
    max: 3,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    onError: () => {},
  });
  const registry = createMetricsRegistry('agent', { defaultMetrics: false });
  const toolbox = createToolbox({ servers: [], timeoutMs: 1_000, retries: 0, logger: silentLogger });
  const app = await buildAgentApp({
    config,
    logger: silentLogger,
    pool,
    db: createDatabase(pool),
    model: await createLanguageModel(config),
    toolbox,
    registry,
    metrics: createAgentMetrics(registry),
    requestSummary: () => {},
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token: DEVELOPMENT_SERVICE_TOKEN,
    fake,
    app,
    async close() {
      await app.close();
      await toolbox.close();
      await fake.close();
      await pool.end();
    },
  };
}
