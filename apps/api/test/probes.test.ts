import { createMigrationGate, documents, tasks } from '@repo/db';
import { createLogger } from '@repo/observability';
import { createTcpProxy, type TcpProxy } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReadiness } from '../src/readiness/readiness.ts';
import { insertConversation } from './support/fixtures.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

describe('probes on a migrated database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('/health answers 200', async () => {
    const response = await t.app.inject('/health');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/ready answers 200 with every check ok', async () => {
    const response = await t.app.inject('/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      checks: { postgres: { ok: true }, migrations: { ok: true }, redis: { ok: true } },
    });
  });

  it('/metrics serves request metrics on METRICS_PORT, and is not a route of the public port', async () => {
    await t.app.inject({
      url: '/v1/documents/00000000-0000-4000-8000-000000000000',
      headers: await t.auth('alice'),
    });
    const response = await t.metricsServer.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toContain('route="/v1/documents/:id",status_code="404"');
    // The load balancer routes PORT: what it reaches has no metrics.
    const publicPort = await t.app.inject('/metrics');
    expect(publicPort.statusCode).toBe(404);
    expect(t.config.METRICS_PORT).toBe(9464);
  });

  it('/ready answers every caller of a burst from one check, and checks again once it is a second old', async () => {
    let acquired = 0;
    const count = () => (acquired += 1);
    t.pool.on('acquire', count);
    try {
      // However many callers at once: one check (the load balancer, a monitor and an attacker
      // share it), so one database connection.
      const burst = await Promise.all(Array.from({ length: 50 }, () => t.app.inject('/ready')));
      expect(burst.map((response) => response.statusCode)).toEqual(Array(50).fill(200));
      expect(acquired).toBeLessThanOrEqual(1);

      // In sequence, at most one check per second elapsed (plus the one in force at the start).
      const before = acquired;
      const started = performance.now();
      for (let i = 0; i < 100; i++) await t.app.inject('/ready');
      const seconds = (performance.now() - started) / 1_000;
      expect(acquired - before).toBeLessThanOrEqual(Math.ceil(seconds) + 1);

      // And the result does get refreshed.
      const seen = acquired;
      await expect
        .poll(async () => (await t.app.inject('/ready'), acquired), { timeout: 5_000 })
        .toBeGreaterThan(seen);
    } finally {
      t.pool.off('acquire', count);
    }
  });
});

describe('probes before migrations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ migrate: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('/ready answers 503 naming the failing check, and only the log says why', async () => {
    const response = await t.app.inject('/ready');
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = response.json<{ detail: string; checks: Record<string, { ok: boolean }> }>();
    expect(body.detail).toBe('not ready: migrations');
    expect(body.checks).toEqual({ postgres: { ok: true }, migrations: { ok: false }, redis: { ok: true } });

    const lines: string[] = [];
    const logger = createLogger(
      { service: 'probe-test', level: 'warn' },
      { write: (line: string) => lines.push(line) },
    );
    const readiness = createReadiness({
      pool: t.pool,
      redis: t.redis,
      migrations: createMigrationGate(t.pool),
      logger,
    });
    expect((await readiness()).checks.migrations).toEqual({ ok: false });
    expect(lines.join('')).toMatch(/"failures":\{"migrations":"pending migrations: 0000_enable_pgvector/);
  });
});

describe('dependency outages', () => {
  let t: TestApp;
  let postgres: TcpProxy;
  let redis: TcpProxy;
  beforeAll(async () => {
    postgres = await createTcpProxy(inject('databaseUrl'));
    redis = await createTcpProxy(inject('redisUrl'));
    t = await createTestApp({
      databaseUrl: (url) => postgres.url(url),
      redisUrl: redis.url(inject('redisUrl')),
    });
  });
  afterAll(async () => {
    await t?.close();
    await postgres?.close();
    await redis?.close();
  });

  it('Redis down: every enqueueing request answers 503 within a second and leaves nothing behind', async () => {
    const headers = await t.auth('alice');
    const conversationId = await insertConversation(t.db, 'alice');
    await redis.cut();
    const before = { documents: await t.db.$count(documents), tasks: await t.db.$count(tasks) };
    // The routes that enqueue (documents, agent runs); with and without an idempotency key.
    const enqueueing = [
      { url: '/v1/documents', payload: { title: 't', content: 'c' } },
      { url: '/v1/tasks', payload: { type: 'agent-run', input: { conversationId, content: 'c' } } },
    ];
    for (const { url, payload } of enqueueing) {
      for (const extra of [{}, { 'idempotency-key': 'outage-key' }]) {
        const started = performance.now();
        const response = await t.app.inject({
          method: 'POST',
          url,
          headers: { ...headers, ...extra },
          payload,
        });
        const elapsed = performance.now() - started;
        expect(elapsed, url).toBeLessThan(1_000);
        expect(response.statusCode, url).toBe(503);
        expect(response.headers['retry-after'], url).toBeDefined();
        expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      }
    }
    expect({ documents: await t.db.$count(documents), tasks: await t.db.$count(tasks) }).toEqual(before);

    // Reads need only Postgres: the rate limiter fails open instead of failing them.
    expect((await t.app.inject({ url: '/v1/documents', headers })).statusCode).toBe(200);

    // The answer may be up to a second old.
    await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 5_000 }).toBe(503);
    const ready = await t.app.inject('/ready');
    expect(ready.json<{ detail: string }>().detail).toBe('not ready: redis');
    expectNoInternalDetail(ready.body);

    await redis.restore();
    await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 10_000 }).toBe(200);
    // The key was not consumed by the failed attempt: the client's retry creates the document.
    const retried = await t.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { ...headers, 'idempotency-key': 'outage-key' },
      payload: { title: 't', content: 'c' },
    });
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    const retriedRun = await t.app.inject({
      method: 'POST',
      url: '/v1/tasks',
      headers: { ...headers, 'idempotency-key': 'outage-key' },
      payload: enqueueing[1]!.payload,
    });
    expect(retriedRun.statusCode).toBe(202);
    expect(retriedRun.headers['idempotent-replayed']).toBeUndefined();
  });

  it('Postgres down: /ready answers 503 while /health stays 200; both recover without a restart', async () => {
    await postgres.cut();
    await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 5_000 }).toBe(503);
    const ready = await t.app.inject('/ready');
    expect(ready.json<{ checks: { postgres: { ok: boolean } } }>().checks.postgres.ok).toBe(false);
    expectNoInternalDetail(ready.body);
    expect((await t.app.inject('/health')).statusCode).toBe(200);

    await postgres.restore();
    await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 10_000 }).toBe(200);
  });
});

/** A dependency's error names addresses and ports (ECONNREFUSED 10.0.3.7:5432): never in a public body. */
function expectNoInternalDetail(body: string) {
  expect(JSON.parse(body)).not.toHaveProperty('checks.postgres.error');
  expect(body).not.toMatch(/error|ECONN|EHOST|ETIMEDOUT|127\.0\.0\.1|closed|timeout|\d+\.\d+\.\d+\.\d+/i);
}
