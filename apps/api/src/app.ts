import { createMigrationGate, type Database, type Pool } from '@repo/db';
import {
  problemDetailsPlugin,
  renderFrameworkError,
  requestIdOptions,
  requestIdPlugin,
  schemaGatePlugin,
  serverTimeoutOptions,
} from '@repo/http';
import { createLogController, httpMetricsPlugin, type Logger, type Registry } from '@repo/observability';
import type { Producer, Redis } from '@repo/queue';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createAgentClient } from './agent/agent-client.ts';
import { createAccessTokenVerifier } from './auth/access-tokens.ts';
import { DEVELOPMENT_JWT_SECRET, signingSecret, type ApiConfig } from './config.ts';
import { createConversationsService } from './conversations/conversations-service.ts';
import { createDocumentsService } from './documents/documents-service.ts';
import authentication from './plugins/app/authentication.ts';
import openApi from './plugins/external/openapi.ts';
import rateLimiting from './plugins/external/rate-limit.ts';
import securityHeaders from './plugins/external/security-headers.ts';
import loadShedding from './plugins/external/under-pressure.ts';
import { createReadiness } from './readiness/readiness.ts';
import { devTokenRoutes } from './routes/dev-token.ts';
import { healthRoutes } from './routes/health.ts';
import { mcpRoutes } from './routes/mcp.ts';
import { v1Routes } from './routes/v1.ts';
import { createSearchService, type EmbedQuery } from './search/search-service.ts';
import { createJobControl } from './tasks/job-control.ts';
import { createTasksService } from './tasks/tasks-service.ts';

export type AppConfig = Pick<
  ApiConfig,
  | 'NODE_ENV'
  | 'BODY_LIMIT_BYTES'
  | 'QUEUE_PREFIX'
  | 'JWT_SECRET'
  | 'JWT_JWKS_URL'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
  | 'SERVICE_AUTH_TOKEN'
  | 'CORS_ORIGINS'
  | 'TRUST_PROXY'
  | 'RATE_LIMIT_MAX'
  | 'RATE_LIMIT_WINDOW_MS'
  | 'UNDER_PRESSURE_MAX_EVENT_LOOP_DELAY_MS'
  | 'UNDER_PRESSURE_MAX_HEAP_USED_BYTES'
  | 'UNDER_PRESSURE_SAMPLE_INTERVAL_MS'
  | 'UNDER_PRESSURE_RETRY_AFTER_S'
  | 'AGENT_URL'
  | 'AGENT_TIMEOUT_MS'
  | 'AGENT_RUN_MAX_DEPTH'
  | 'AGENT_RUN_MAX_OPEN_PER_OWNER'
  | 'HTTP_REQUEST_TIMEOUT_MS'
  | 'HTTP_IDLE_TIMEOUT_MS'
  | 'HTTP_KEEP_ALIVE_TIMEOUT_MS'
  | 'SSE_HEARTBEAT_MS'
>;

export interface AppDependencies {
  config: AppConfig;
  logger: Logger;
  pool: Pool;
  db: Database;
  /** The producer's connection: queue, rate-limit counters and cancellation messages. */
  redis: Redis;
  producer: Producer;
  metrics: Registry;
  /** Query embeddings for hybrid search; none until an embedding model is configured. */
  embedQuery?: EmbedQuery;
}

/**
 * Builds the API from its dependencies. It never listens and never reads the environment, so a
 * test builds it with its own database and calls it through `app.inject`.
 */
export async function buildApp(deps: AppDependencies) {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A request trickled a byte at a time is cut (408) once HTTP_REQUEST_TIMEOUT_MS has passed.
    ...serverTimeoutOptions(config),
    // X-Forwarded-For is believed only from the load balancer's addresses, so `request.ip` (the
    // rate-limit key of anonymous callers) is the client's and cannot be forged by the client.
    trustProxy: config.TRUST_PROXY.length > 0 ? config.TRUST_PROXY : false,
    // Request ids: reuse the caller's (load balancer, upstream service) when it is well-formed.
    ...requestIdOptions,
    logController: createLogController(),
    // During close, new requests get 503 + `Connection: close` (Fastify's default, made explicit):
    // the load balancer retries them on another replica while in-flight ones finish here.
    return503OnClosing: true,
    frameworkErrors: renderFrameworkError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Order, and why:
  // 1. request ids and errors first, so every response names its id and whatever any later
  //    plugin throws is rendered as problem+json;
  // 2. load shedding, the cheapest refusal, before any work is spent on a request, then the schema
  //    gate: no route that touches the database is served before this build's migrations are;
  // 3. security headers and CORS (preflights are answered here, without credentials);
  // 4. OpenAPI, before any route, because it collects routes as they register;
  // 5. metrics (measured here, served on their own port), then identity, then the rate limiter
  //    keyed by that identity;
  // 6. routes: probes (no credential), then /v1 (authorized per route, after the rate limiter),
  //    then /mcp (authenticated the same way; its tools check their permissions).
  await app.register(requestIdPlugin);
  await app.register(problemDetailsPlugin);
  await app.register(loadShedding, {
    maxEventLoopDelayMs: config.UNDER_PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: config.UNDER_PRESSURE_MAX_HEAP_USED_BYTES,
    sampleIntervalMs: config.UNDER_PRESSURE_SAMPLE_INTERVAL_MS,
    retryAfterSeconds: config.UNDER_PRESSURE_RETRY_AFTER_S,
  });
  // Readiness keeps traffic off an unmigrated replica where the platform routes on it; the gate
  // covers what reaches the replica anyway (a private network, a platform routing on liveness).
  const migrations = createMigrationGate(deps.pool);
  await app.register(schemaGatePlugin, {
    check: () => migrations.check(),
    gated: (route) => route.startsWith('/v1/') || route === '/mcp',
  });
  await app.register(securityHeaders, { corsOrigins: config.CORS_ORIGINS });
  await app.register(openApi, { ui: config.NODE_ENV !== 'production' });
  // Measured here, served on METRICS_PORT by the metrics server (metrics/metrics-server.ts).
  await app.register(httpMetricsPlugin, { registry: deps.metrics });
  await app.register(authentication, {
    verifyAccessToken: createAccessTokenVerifier({
      secret: signingSecret(config),
      jwksUrl: config.JWT_JWKS_URL,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    serviceToken: config.SERVICE_AUTH_TOKEN,
  });
  await app.register(rateLimiting, {
    redis: deps.redis,
    prefix: config.QUEUE_PREFIX,
    max: config.RATE_LIMIT_MAX,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
  });

  const stopJob = createJobControl({
    producer: deps.producer,
    redis: deps.redis,
    prefix: config.QUEUE_PREFIX,
    logger: deps.logger,
  });
  const documents = createDocumentsService({
    db: deps.db,
    producer: deps.producer,
    stopJob,
    logger: deps.logger,
  });
  const search = createSearchService({ db: deps.db, embedQuery: deps.embedQuery });
  const tasks = createTasksService({
    db: deps.db,
    producer: deps.producer,
    stopJob,
    logger: deps.logger,
    limits: { maxDepth: config.AGENT_RUN_MAX_DEPTH, maxOpenPerOwner: config.AGENT_RUN_MAX_OPEN_PER_OWNER },
  });
  // The config refuses AGENT_URL without SERVICE_AUTH_TOKEN, so both are set or the agent is off.
  const agent =
    config.AGENT_URL !== undefined && config.SERVICE_AUTH_TOKEN !== undefined
      ? createAgentClient({
          url: config.AGENT_URL,
          serviceToken: config.SERVICE_AUTH_TOKEN,
          timeoutMs: config.AGENT_TIMEOUT_MS,
        })
      : undefined;
  if (agent) app.addHook('onClose', () => agent.close());

  await app.register(healthRoutes, {
    readiness: createReadiness({ pool: deps.pool, redis: deps.redis, migrations, logger: deps.logger }),
  });
  await app.register(v1Routes, {
    documents,
    search,
    tasks,
    conversations: createConversationsService({ db: deps.db, stopJob }),
    agent,
    heartbeatMs: config.SSE_HEARTBEAT_MS,
  });
  await app.register(mcpRoutes, { services: { search, documents, tasks } });
  // The web console's one-click sign-in, only where tokens are signed with the public development
  // secret (routes/dev-token.ts says why that grants nothing); absent everywhere else.
  const secret = signingSecret(config);
  if (config.NODE_ENV === 'development' && secret === DEVELOPMENT_JWT_SECRET) {
    await app.register(devTokenRoutes, { secret, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  }

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
