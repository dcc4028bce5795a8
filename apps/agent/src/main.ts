import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, databaseTls } from '@repo/config';
import { createDatabase, createPool } from '@repo/db';
import { createLogger, createMetricsRegistry } from '@repo/observability';
import { createProducer, createRedis } from '@repo/queue';
import { shutdownTelemetry } from '@repo/telemetry';
import { queueTelemetry } from '@repo/telemetry/queue';
import closeWithGrace from 'close-with-grace';
import { buildAgentApp } from './app.ts';
import { apiToolsApproval, loadConfig, type AgentConfig } from './config.ts';
import { createAgentMetrics } from './metrics/agent-metrics.ts';
import { createLanguageModel, missingModelHint } from './models/language-model.ts';
import { createToolbox, type McpServerSpec } from './tools/mcp-toolbox.ts';

// Process wiring only: config → connections → model and tools → app → listen; signals.

let config: AgentConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`agent: refusing to start.\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger({ service: 'agent', level: config.LOG_LEVEL });
const pool = createPool({
  connectionString: config.DATABASE_URL,
  tls: databaseTls(config),
  applicationName: `agent@${hostname()}`,
  max: config.DATABASE_POOL_MAX,
  statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
});
const redis = createRedis(config.REDIS_URL, 'producer', `agent@${hostname()}`);
redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
// Subscriptions (run cancels, followed runs) need a connection of their own; it waits for Redis
// and resubscribes by itself after an outage.
const subscriber = createRedis(config.REDIS_URL, 'worker', `agent-subscriber@${hostname()}`);
subscriber.on('error', (error) => logger.warn({ err: error }, 'redis subscriber connection error'));
const producer = createProducer({
  connection: redis,
  prefix: config.QUEUE_PREFIX,
  // A summary job continues the trace of the turn that asked for it.
  telemetry: queueTelemetry(),
});

const model = await createLanguageModel(config);
if (model) logger.info({ provider: model.provider, model: model.modelId }, 'model configured');
else logger.warn(missingModelHint());

const servers: McpServerSpec[] = [
  // The stack's own tools, served by the api: every call acts for the turn's owner.
  ...(config.API_MCP_URL
    ? [
        {
          name: 'keelson',
          url: config.API_MCP_URL,
          headers: { authorization: `Bearer ${config.SERVICE_AUTH_TOKEN}` },
          ownerScoped: true,
          prefix: false,
          // By default the api's write tools (create_task) wait for the owner's approval.
          requireApproval: apiToolsApproval(config.API_MCP_REQUIRE_APPROVAL),
        },
      ]
    : []),
  ...config.AGENT_MCP_SERVERS,
];
const registry = createMetricsRegistry('agent');
const metrics = createAgentMetrics(registry);
const toolbox = createToolbox({
  servers,
  timeoutMs: config.MCP_TIMEOUT_MS,
  listTtlMs: config.MCP_TOOLS_TTL_MS,
  retries: config.MCP_RETRIES,
  logger,
  onToolCall: (tool, outcome) => metrics.toolCalls.inc({ tool, outcome }),
});

const app = await buildAgentApp({
  config,
  logger,
  pool,
  db: createDatabase(pool),
  model,
  toolbox,
  registry,
  metrics,
  redis,
  subscriber,
  requestSummary: (ownerId, conversationId) => {
    // One pending summary per conversation: bursts of turns make one job (BullMQ deduplication).
    producer
      .enqueue('summarize-conversation', { ownerId, conversationId }, { deduplicationId: conversationId })
      .catch((error: unknown) =>
        logger.warn({ err: error, conversationId }, 'could not queue a summary; the next turn retries'),
      );
  },
});

app.addHook('onClose', async () => {
  await toolbox.close();
  await producer.close();
  redis.disconnect();
  subscriber.disconnect();
  await pool.end();
});

closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an unexpected error');
  else logger.info({ signal }, 'shutting down');
  await app.close();
  // Last: the spans and log records of the final turns, flushed to the collector. A collector
  // that does not answer costs at most 2 s of the budget (a no-op while tracing is off).
  await Promise.race([
    shutdownTelemetry().catch((error: unknown) => logger.warn({ err: error }, 'telemetry flush failed')),
    sleep(2_000, undefined, { ref: false }),
  ]);
});

await app.listen({ host: config.HOST, port: config.PORT });
// Tool discovery after listening: a slow MCP server must not delay readiness.
void toolbox.start();
