import { httpMetricsPlugin, requestLogging, type Logger, type Registry } from '@repo/observability';
import type { Queue } from 'bullmq';
import Fastify from 'fastify';
import type { RunnerStatus } from '../app.ts';

export interface HealthServerOptions {
  status: () => RunnerStatus;
  metrics: Registry;
  logger: Logger;
  /** Queues to show in bull-board at /queues; omit (production) to leave the UI out. */
  boardQueues?: readonly Queue[];
}

/**
 * The task-runner's internal HTTP port: liveness, readiness and metrics, for the Docker
 * HEALTHCHECK, compose `depends_on: service_healthy` and Prometheus. It is up before the runner
 * checks its dependencies or elects a leader, so a slow start shows as "not ready" rather than
 * as a dead process.
 * - /health: the process answers (liveness; never restart a runner for being a standby).
 * - /ready: 200 for a leader whose workers run, or a standby in touch with Postgres; 503 otherwise.
 *   Both return the status JSON: role, phase, migrations, workers.
 */
export async function buildHealthServer({ status, metrics, logger, boardQueues }: HealthServerOptions) {
  const app = Fastify({
    loggerInstance: logger.child({ component: 'health' }),
    ...requestLogging(),
  });

  await app.register(httpMetricsPlugin, { registry: metrics, path: '/metrics' });
  app.get('/health', { config: { probe: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: { probe: true } }, async (_request, reply) => {
    const current = status();
    return reply.code(current.ready ? 200 : 503).send(current);
  });
  if (boardQueues) {
    // Loaded only when used: production never pays for the UI's modules.
    const { bullBoard } = await import('./bull-board.ts');
    await app.register(bullBoard(boardQueues));
  }
  return app;
}
