import { fastifySSE } from '@fastify/sse';
import { createMigrationGate, type Database, type Pool } from '@repo/db';
import {
  problemDetailsPlugin,
  requestIdOptions,
  requestIdPlugin,
  schemaGatePlugin,
  serverTimeoutOptions,
} from '@repo/http';
import { createLogController, httpMetricsPlugin, type Logger, type Registry } from '@repo/observability';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import serviceAuth from './auth/service-auth.ts';
import type { AgentConfig } from './config.ts';
import { createConversationStore } from './conversations/conversation-store.ts';
import type { AgentMetrics } from './metrics/agent-metrics.ts';
import type { ConfiguredModel } from './models/language-model.ts';
import { probeRoutes } from './routes/probes.ts';
import { summaryRoutes } from './routes/summaries.ts';
import { turnRoutes } from './routes/turns.ts';
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
}

/**
 * The agent service without its process: built from its dependencies, never listening, so tests
 * run it through `inject` or on an ephemeral port with a fake model and real MCP servers.
 */
export async function buildAgentApp(deps: AgentDependencies) {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: createLogController(),
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
  const common = { config: deps.config, store, model: deps.model, metrics: deps.metrics };
  await app.register(probeRoutes, { pool: deps.pool, model: deps.model, toolbox: deps.toolbox });
  await app.register(turnRoutes, {
    turns: { ...common, toolbox: deps.toolbox, logger: deps.logger, requestSummary: deps.requestSummary },
  });
  await app.register(summaryRoutes, { summaries: common });
  return app;
}

export type AgentApp = Awaited<ReturnType<typeof buildAgentApp>>;
