import { randomUUID } from 'node:crypto';
import { fastifySSE } from '@fastify/sse';
import { createMigrationGate, type Database, type Pool } from '@repo/db';
import {
  problemDetailsPlugin,
  requestIdOptions,
  requestIdPlugin,
  schemaGatePlugin,
  serverTimeoutOptions,
} from '@repo/http';
import { httpMetricsPlugin, requestLogging, type Logger, type Registry } from '@repo/observability';
import type { Redis } from '@repo/queue';
import { createRunFeed, subscribeRunCancels } from '@repo/runs';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import serviceAuth from './auth/service-auth.ts';
import type { AgentConfig } from './config.ts';
import { createConversationStore } from './conversations/conversation-store.ts';
import type { AgentMetrics } from './metrics/agent-metrics.ts';
import type { ConfiguredModel } from './models/language-model.ts';
import { probeRoutes } from './routes/probes.ts';
import { summaryRoutes } from './routes/summaries.ts';
import { runRoutes } from './routes/runs.ts';
import { turnRoutes } from './routes/turns.ts';
import { createUsageMeter } from './usage/model-usage.ts';
import { createRunExecutor } from './runs/run-executor.ts';
import { budgetSpent, runQuotaDefaults } from './runs/run-quota.ts';
import { createRunStart } from './runs/run-start.ts';
import { createRunStore } from './runs/run-store.ts';
import type { Toolbox } from './tools/mcp-toolbox.ts';

export interface AgentDependencies {
  config: AgentConfig;
  logger: Logger;
  pool: Pool;
  db: Database;
  model: ConfiguredModel | undefined;
  toolbox: Toolbox;
  registry: Registry;
  metrics: AgentMetrics;
  /** Queues a summarize-conversation job; a turn calls it and moves on. */
  requestSummary: (ownerId: string, conversationId: string) => void;
  /** Commands: the runs' live streams (and the summary queue's producer in main.ts). */
  redis: Redis;
  /** Subscriptions only: run cancels, and notifications of runs followed from here. */
  subscriber: Redis;
  /** This process as its runs' lease holder; a new one per start unless a test names it. */
  instanceId?: string;
}

/**
 * The agent service without its process: built from its dependencies, never listening, so tests
 * run it through `inject` or on an ephemeral port with a fake model and real MCP servers.
 */
export async function buildAgentApp(deps: AgentDependencies) {
  const app = Fastify({
    loggerInstance: deps.logger,
    ...requestLogging(),
    bodyLimit: 256 * 1024,
    // A request trickled a byte at a time is cut (408); a long turn's response is not bound by it.
    ...serverTimeoutOptions(deps.config),
    // The api forwards its request id, so one id follows a message through both services.
    ...requestIdOptions,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Cross-cutting first (errors, metrics, SSE), then authentication, the schema gate, then routes.
  await app.register(requestIdPlugin);
  await app.register(problemDetailsPlugin);
  await app.register(httpMetricsPlugin, { registry: deps.registry, path: '/metrics' });
  // Streams send a comment after SSE_HEARTBEAT_MS of silence (see routes/turns.ts).
  await app.register(fastifySSE, { heartbeatInterval: deps.config.SSE_HEARTBEAT_MS });
  await app.register(serviceAuth, { token: deps.config.SERVICE_AUTH_TOKEN });
  // No turn before the migrations this build ships are applied: Render gives a private service
  // no health check, so nothing else keeps a new instance from taking turns too early.
  const migrations = createMigrationGate(deps.pool);
  await app.register(schemaGatePlugin, {
    check: () => migrations.check(),
    gated: (route) => route.startsWith('/v1/'),
  });

  const store = createConversationStore(deps.db);
  const meter = createUsageMeter(deps.config.MODEL_PRICES, deps.metrics);
  const common = { config: deps.config, store, model: deps.model, metrics: deps.metrics, meter };
  const prefix = deps.config.QUEUE_PREFIX;
  const feed = createRunFeed({ db: deps.db, redis: deps.redis, subscriber: deps.subscriber, prefix });
  const quotas = runQuotaDefaults(deps.config);
  const executor = createRunExecutor({
    config: deps.config,
    starts: createRunStart(deps.db, quotas),
    runs: createRunStore(deps.db),
    feed,
    redis: deps.redis,
    turns: {
      config: deps.config,
      store,
      toolbox: deps.toolbox,
      metrics: deps.metrics,
      meter,
      budgetSpent: (ownerId, unstored) => budgetSpent(deps.db, ownerId, unstored, quotas),
    },
    model: deps.model,
    metrics: deps.metrics,
    logger: deps.logger,
    requestSummary: deps.requestSummary,
    instanceId: deps.instanceId ?? `agent-${randomUUID()}`,
  });
  // A cancel from any api replica reaches every agent; the one executing the run stops it.
  const stopListening = await subscribeRunCancels(deps.subscriber, prefix, (runId) => {
    if (executor.cancel(runId)) deps.logger.info({ runId }, 'cancelling a run on request');
  });
  // On close, before in-flight requests are waited for: running runs get three quarters of the
  // shutdown budget to finish, then end as `agent-shutdown` (their streams with them).
  app.addHook('preClose', async () => {
    await executor.drain(Math.round(deps.config.SHUTDOWN_TIMEOUT_MS * 0.75));
  });
  app.addHook('onClose', async () => {
    feed.close();
    await stopListening().catch(() => {});
  });

  await app.register(probeRoutes, { pool: deps.pool, model: deps.model, toolbox: deps.toolbox });
  await app.register(turnRoutes, { executor, heartbeatMs: deps.config.SSE_HEARTBEAT_MS });
  await app.register(runRoutes, { executor });
  await app.register(summaryRoutes, { summaries: common });
  return app;
}

export type AgentApp = Awaited<ReturnType<typeof buildAgentApp>>;
