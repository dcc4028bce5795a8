import { createLogController, httpMetricsPlugin, type Logger, type Registry } from '@repo/observability';
import Fastify from 'fastify';
import type { RunnerStatus } from '../app.ts';

/**
 * The task-runner's internal HTTP port: liveness, readiness and metrics, for the Docker
 * HEALTHCHECK, compose `depends_on: service_healthy` and Prometheus. It is up before migrations
 * start, so a slow migration shows as "not ready" rather than as a dead process.
 */
export function buildHealthServer({
  status,
  metrics,
  logger,
}: {
  status: () => RunnerStatus;
  metrics: Registry;
  logger: Logger;
}) {
  const app = Fastify({
    loggerInstance: logger.child({ component: 'health' }),
    logController: createLogController(),
  });

  app.register(httpMetricsPlugin, { registry: metrics, path: '/metrics' });
  app.get('/health', { config: { probe: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: { probe: true } }, async (_request, reply) => {
    const current = status();
    return reply.code(current.ready ? 200 : 503).send(current);
  });
  return app;
}
