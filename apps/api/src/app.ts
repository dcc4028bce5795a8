import { randomUUID } from 'node:crypto';
import type { Database, Pool } from '@repo/db';
import { createLogController, httpMetricsPlugin, type Logger, type Registry } from '@repo/observability';
import type { Producer, Redis } from '@repo/queue';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiConfig } from './config.ts';
import { createDocumentsService } from './documents/documents-service.ts';
import owner from './plugins/owner.ts';
import problemDetails from './plugins/problem-details.ts';
import { createReadiness } from './readiness/readiness.ts';
import { documentRoutes } from './routes/documents.ts';
import { healthRoutes } from './routes/health.ts';

export interface AppDependencies {
  config: Pick<ApiConfig, 'BODY_LIMIT_BYTES'>;
  logger: Logger;
  pool: Pool;
  db: Database;
  redis: Redis;
  producer: Producer;
  metrics: Registry;
}

/** An incoming request id is kept only if it is short and plain, so it is safe to log and echo. */
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Builds the API from its dependencies. It never listens and never reads the environment, so a
 * test builds it with its own database and calls it through `app.inject`.
 */
export async function buildApp(deps: AppDependencies) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    // Request ids: reuse the caller's (load balancer, upstream service) when it is well-formed.
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    logController: createLogController(),
    // During close, new requests get 503 + `Connection: close` (Fastify's default, made explicit):
    // the load balancer retries them on another replica while in-flight ones finish here.
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // Order: cross-cutting plugins first (errors, metrics), then the request context (owner), then
  // routes, so every route is measured and every error is rendered the same way.
  await app.register(problemDetails);
  await app.register(httpMetricsPlugin, { registry: deps.metrics, path: '/metrics' });
  await app.register(owner);

  await app.register(healthRoutes, { readiness: createReadiness({ pool: deps.pool, redis: deps.redis }) });
  await app.register(documentRoutes, {
    documents: createDocumentsService({ db: deps.db, producer: deps.producer, logger: deps.logger }),
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
