import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, type Registry } from 'prom-client';

export interface HttpMetricsOptions {
  registry: Registry;
  /** Serve the registry at this path (omit to expose it elsewhere). */
  path?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A probe route (liveness, readiness, metrics): asked every few seconds by load balancers and
     * scrapers, so it is neither measured nor request-logged — it would drown the real traffic.
     */
    probe?: boolean;
  }
}

/**
 * RED metrics for every route: one histogram gives rate (`_count`), errors (by `status_code`)
 * and duration. `route` is the route's template (`/v1/documents/:id`), never the raw URL, so an
 * id in the path cannot explode the number of series; unmatched requests share one label.
 */
const httpMetrics: FastifyPluginAsync<HttpMetricsOptions> = async (app, options) => {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [options.registry],
  });

  // A callback hook, not an async one: it runs after every response and needs no promise.
  app.addHook('onResponse', (request, reply, done) => {
    if (request.routeOptions.config.probe) return done();
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  if (options.path) {
    app.get(options.path, { config: { probe: true } }, async (_request, reply) => {
      reply.header('content-type', options.registry.contentType);
      return options.registry.metrics();
    });
  }
};

export const httpMetricsPlugin = fp(httpMetrics, { name: 'http-metrics', fastify: '5.x' });
