import { createMetricsRegistry } from '@repo/observability';
import { createRedis } from '@repo/queue';
import { uniqueId, waitFor } from '@repo/testing';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RunnerStatus } from '../src/app.ts';
import { buildHealthServer } from '../src/health/health-server.ts';
import { silentLogger } from './support/test-runner.ts';

const standby: RunnerStatus = {
  ready: true,
  role: 'standby',
  phase: 'standby',
  leadership: { postgres: 'ok', leaderSince: null, terms: 0 },
  migrations: { state: 'not-run', applied: [] },
  workers: { running: true, queues: ['ingest-document'], replica: 'running', pendingMigrations: [] },
};

const redis = createRedis(inject('redisUrl'), 'producer', 'health-test');
redis.on('error', () => {});
afterAll(() => redis.disconnect());

describe('the health server', () => {
  it('answers /health always and /ready with the status JSON: 200 when ready, 503 otherwise', async () => {
    let status: RunnerStatus = { ...standby, ready: false, phase: 'checking' };
    const app = await buildHealthServer({
      status: () => status,
      metrics: createMetricsRegistry('test', { defaultMetrics: false }),
      logger: silentLogger,
    });
    try {
      expect((await app.inject('/health')).json()).toEqual({ status: 'ok' });
      const starting = await app.inject('/ready');
      expect(starting.statusCode).toBe(503);
      expect(starting.json()).toMatchObject({ ready: false, role: 'standby', phase: 'checking' });

      status = standby;
      const ready = await app.inject('/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual(standby);
      // No bull-board unless the caller gives it queues (production does not).
      expect((await app.inject('/queues')).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('serves bull-board at /queues when given the queues', async () => {
    await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
    const queue = new Queue('ingest-document', { connection: redis, prefix: uniqueId('health-test') });
    const app = await buildHealthServer({
      status: () => standby,
      metrics: createMetricsRegistry('test', { defaultMetrics: false }),
      logger: silentLogger,
      boardQueues: [queue],
    });
    try {
      const page = await app.inject('/queues');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const api = await app.inject('/queues/api/queues');
      expect(api.statusCode).toBe(200);
      const { queues } = api.json<{ queues: { name: string }[] }>();
      expect(queues.map((q) => q.name)).toEqual(['ingest-document']);
    } finally {
      await app.close();
      await queue.close();
    }
  });
});
