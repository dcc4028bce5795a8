import type { Logger, Registry } from '@repo/observability';
import Fastify, { LogController } from 'fastify';

/**
 * The api's Prometheus endpoint, on a port of its own (`METRICS_PORT`) instead of the public one.
 * The load balancer routes only the api's `PORT`, so `/metrics` — request counts per route and
 * status, heap, event-loop lag: a map of the service for whoever reads it — is reachable from the
 * private network where Prometheus runs, and never from the internet. A port rather than a bearer
 * token: nothing to distribute to the scraper, nothing to rotate, and the same Prometheus
 * configuration works for the dev and prod profiles (both scrape `api:9464`).
 */
export function buildMetricsServer({ registry, logger }: { registry: Registry; logger: Logger }) {
  // Scrapes are not logged: one line every 15 s per replica says nothing.
  const server = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  server.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return server;
}

export type MetricsServer = ReturnType<typeof buildMetricsServer>;
