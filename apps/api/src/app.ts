import { embeddingModelConfig } from '@repo/config';
import { createMigrationGate, type Database, type Pool } from '@repo/db';
import { createEmbedder } from '@repo/embeddings';
import {
  problemDetailsPlugin,
  renderFrameworkError,
  requestIdOptions,
  requestIdPlugin,
  schemaGatePlugin,
  serverTimeoutOptions,
} from '@repo/http';
import { httpMetricsPlugin, requestLogging, type Logger, type Registry } from '@repo/observability';
import { redisOptions, type Producer, type Redis } from '@repo/queue';
import { createRunFeed, type RunFeed } from '@repo/runs';
import type { ObjectStorage } from '@repo/storage';
import Fastify from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { createAgentClient, importUndici } from './agent/agent-client.ts';
import { createApiKeysService } from './api-keys/api-keys-service.ts';
import { createUsageService } from './usage/usage-service.ts';
import { createQuotasService } from './quotas/quotas-service.ts';
import { createAccessTokenVerifier } from './auth/access-tokens.ts';
import { consoleRoutes } from './console/console-routes.ts';
import { apiKeyPepper, DEVELOPMENT_JWT_SECRET, signingSecret, type ApiConfig } from './config.ts';
import { createConversationsService } from './conversations/conversations-service.ts';
import { createUploads } from './documents/document-files.ts';
import { createDocumentsService } from './documents/documents-service.ts';
import authentication from './plugins/app/authentication.ts';
import openApi from './plugins/external/openapi.ts';
import rateLimiting from './plugins/external/rate-limit.ts';
import securityHeaders from './plugins/external/security-headers.ts';
import loadShedding from './plugins/external/under-pressure.ts';
import { createReadiness } from './readiness/readiness.ts';
import {
  createResponseSerializerCompiler,
  type ResponseSerializerChoice,
} from './http/response-serializer.ts';
import { consoleConfig } from './console/console-config.ts';
import { consoleConfigRoutes } from './routes/console-config.ts';
import { devTokenRoutes } from './routes/dev-token.ts';
import { createRunsService } from './runs/runs-service.ts';
import { warmUpAfterListen } from './startup/deferred.ts';
import { healthRoutes } from './routes/health.ts';
import { mcpRoutes } from './routes/mcp.ts';
import { v1Routes } from './routes/v1.ts';
import { queryEmbedding } from './search/query-embedding.ts';
import { createSearchService, type EmbedQuery } from './search/search-service.ts';
import { createJobControl } from './tasks/job-control.ts';
import { createTasksService } from './tasks/tasks-service.ts';

export type AppConfig = Pick<
  ApiConfig,
  | 'NODE_ENV'
  | 'BODY_LIMIT_BYTES'
  | 'UPLOAD_MAX_BYTES'
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
  | 'API_KEY_PEPPER'
  | 'QUOTA_DOCUMENTS'
  | 'QUOTA_STORED_BYTES'
  | 'QUOTA_MONTHLY_TOKENS'
  | 'QUOTA_CONCURRENT_RUNS'
  | 'EMBEDDING_MODEL'
  | 'EMBEDDING_BASE_URL'
  | 'EMBEDDING_API_KEY'
  | 'EMBEDDING_TIMEOUT_MS'
  | 'EMBEDDING_BATCH_SIZE'
  | 'MODEL_PRICES'
  | 'CONSOLE_DIR'
  | 'CONSOLE_OIDC_CLIENT_ID'
  | 'CONSOLE_OIDC_SCOPES'
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
  /** Object storage for uploaded files; undefined without S3_BUCKET (uploads answer 503). */
  storage?: ObjectStorage | undefined;
  /**
   * Query embeddings for hybrid search. Default: the configured embedding model's (EMBEDDING_*),
   * none without one.
   */
  embedQuery?: EmbedQuery;
  /** Told how each route's responses are serialized (compiled, or zod's and why): for tests. */
  onResponseSerializer?: (choice: ResponseSerializerChoice) => void;
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
    ...requestLogging(),
    // During close, new requests get 503 + `Connection: close` (Fastify's default, made explicit):
    // the load balancer retries them on another replica while in-flight ones finish here.
    return503OnClosing: true,
    frameworkErrors: renderFrameworkError,
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are written by serializers compiled from the routes' zod schemas (fast-json-stringify),
  // not encoded through zod on every request: http/response-serializer.ts. Outside production each
  // response is also encoded by zod and compared, so a handler returning the wrong shape still
  // fails its tests with a 500, while the bytes sent are always the compiled serializer's.
  app.setSerializerCompiler(
    createResponseSerializerCompiler({
      verify: config.NODE_ENV !== 'production',
      ...(deps.onResponseSerializer ? { onCompile: deps.onResponseSerializer } : {}),
    }),
  );

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
  //    then /mcp (authenticated the same way; its tools check their permissions), then the web
  //    console's files (no credential: the console signs in once loaded).
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
  const apiKeys = createApiKeysService({
    db: deps.db,
    redis: deps.redis,
    prefix: config.QUEUE_PREFIX,
    pepper: apiKeyPepper(config),
    logger: deps.logger,
  });
  app.addHook('onClose', async () => apiKeys.close());
  await app.register(authentication, {
    verifyApiKey: (key) => apiKeys.verify(key),
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
    storage: deps.storage,
    quotas: { maxDocuments: config.QUOTA_DOCUMENTS, maxStoredBytes: config.QUOTA_STORED_BYTES },
  });
  const uploads = createUploads({
    documents,
    storage: deps.storage,
    logger: deps.logger,
    maxBytes: config.UPLOAD_MAX_BYTES,
  });
  const embedQuery =
    deps.embedQuery ??
    queryEmbedding(
      createEmbedder(embeddingModelConfig(config), {
        db: deps.db,
        prices: config.MODEL_PRICES,
        metrics: deps.metrics,
      }),
    );
  const search = createSearchService({ db: deps.db, embedQuery, logger: deps.logger });
  const runs = createRunsService({
    db: deps.db,
    redis: deps.redis,
    prefix: config.QUEUE_PREFIX,
    logger: deps.logger,
  });
  const tasks = createTasksService({
    db: deps.db,
    producer: deps.producer,
    stopJob,
    runs,
    logger: deps.logger,
    limits: { maxDepth: config.AGENT_RUN_MAX_DEPTH, maxOpenPerOwner: config.AGENT_RUN_MAX_OPEN_PER_OWNER },
  });
  // Following runs needs a subscriber connection (a subscribed connection runs no other command):
  // opened by the first client that follows a run on this replica, so a replica that never serves
  // one never opens it. It waits for Redis and resubscribes by itself after an outage.
  let runFeed: { feed: RunFeed; subscriber: Redis } | undefined;
  const feed = () => {
    if (!runFeed) {
      // The producer's options refuse commands while disconnected; a subscriber waits instead.
      const subscriber = deps.redis.duplicate({
        ...redisOptions('worker'),
        enableOfflineQueue: true,
        connectionName: 'api-run-feed',
      });
      subscriber.on('error', (error) =>
        deps.logger.warn({ err: error }, 'redis subscriber connection error'),
      );
      const created = createRunFeed({
        db: deps.db,
        redis: deps.redis,
        subscriber,
        prefix: config.QUEUE_PREFIX,
      });
      runFeed = { feed: created, subscriber };
    }
    return runFeed.feed;
  };
  app.addHook('onClose', () => {
    runFeed?.feed.close();
    runFeed?.subscriber.disconnect();
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
  if (agent) {
    app.addHook('onClose', () => agent.close());
    // undici is imported once the server listens, or by the first turn (startup/deferred.ts).
    warmUpAfterListen(app, 'undici', importUndici);
  }

  await app.register(healthRoutes, {
    readiness: createReadiness({ pool: deps.pool, redis: deps.redis, migrations, logger: deps.logger }),
  });
  await app.register(v1Routes, {
    documents,
    uploads,
    storage: deps.storage,
    maxUploadBytes: config.UPLOAD_MAX_BYTES,
    search,
    tasks,
    conversations: createConversationsService({ db: deps.db, stopJob, runs }),
    apiKeys,
    agent,
    runs,
    usage: createUsageService(deps.db),
    quotas: createQuotasService(deps.db, {
      maxDocuments: config.QUOTA_DOCUMENTS,
      maxStoredBytes: config.QUOTA_STORED_BYTES,
      maxOpenAgentRuns: config.AGENT_RUN_MAX_OPEN_PER_OWNER,
      runs: { monthlyTokens: config.QUOTA_MONTHLY_TOKENS, concurrentRuns: config.QUOTA_CONCURRENT_RUNS },
    }),
    runFeed: feed,
    heartbeatMs: config.SSE_HEARTBEAT_MS,
  });
  await app.register(mcpRoutes, { services: { search, documents, tasks } });
  // The web console's one-click sign-in, only where tokens are signed with the public development
  // secret (routes/dev-token.ts says why that grants nothing); absent everywhere else.
  const secret = signingSecret(config);
  const devSignIn = config.NODE_ENV === 'development' && secret === DEVELOPMENT_JWT_SECRET;
  if (devSignIn) {
    await app.register(devTokenRoutes, { secret, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  }
  // The web console's static files on this origin (console/console-routes.ts); rate-limited by
  // address like any anonymous request. With OpenID Connect sign-in, the console's scripts call the
  // provider (discovery, token endpoint), so its CSP's connect-src names the issuer's origin.
  const consoleSettings = consoleConfig(config, devSignIn);
  if (config.CONSOLE_DIR !== undefined) {
    const connectOrigins = consoleSettings.oidc ? [new URL(consoleSettings.oidc.issuer).origin] : [];
    await app.register(consoleRoutes, { dir: config.CONSOLE_DIR, connectOrigins });
  }
  // Public: what the console's sign-in page offers on this deployment (routes/console-config.ts).
  await app.register(consoleConfigRoutes, { config: consoleSettings });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
