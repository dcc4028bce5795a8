import { createServer, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { tasks } from '@repo/db';
import { createLogger } from '@repo/observability';
import { captureLines, createTcpProxy, type TcpProxy } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { insertDocument } from './support/fixtures.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/**
 * Postgres goes away (the proxy in front of it drops every connection and refuses new ones):
 * reads and writes answer 503 problem+json with Retry-After, fast, instead of a 500; liveness is
 * untouched, readiness fails; when Postgres is back the same app serves again by itself.
 */
describe('Postgres outage', () => {
  let t: TestApp;
  let postgres: TcpProxy;
  let headers: { authorization: string };
  let taskId: string;

  beforeAll(async () => {
    postgres = await createTcpProxy(inject('databaseUrl'));
    t = await createTestApp({ databaseUrl: (url) => postgres.url(url) });
    headers = await t.auth('alice');
    await insertDocument(t.db, 'alice', 'Harbour pilots', ['Pilots board ships at the harbour mouth.']);
    const [task] = await t.db
      .insert(tasks)
      .values({ ownerId: 'alice', type: 'agent-run', input: {} })
      .returning({ id: tasks.id });
    taskId = task!.id;
  });
  afterAll(async () => {
    await t?.close();
    await postgres?.close();
  });

  const requests = () => [
    { method: 'GET' as const, url: '/v1/documents', ok: 200 },
    { method: 'POST' as const, url: '/v1/documents', payload: { title: 't', content: 'c' }, ok: 202 },
    { method: 'GET' as const, url: `/v1/tasks/${taskId}`, ok: 200 },
    { method: 'POST' as const, url: '/v1/search', payload: { query: 'harbour' }, ok: 200 },
  ];

  it('answers 503 problem+json with Retry-After while it is down, and serves again when it is back', async () => {
    // Warm-up: the pool now holds open connections, so the cut breaks live ones, not only new ones.
    for (const { ok, ...request } of requests()) {
      expect((await t.app.inject({ ...request, headers })).statusCode, request.url).toBe(ok);
    }

    await postgres.cut();
    const latencies: number[] = [];
    for (const { ok: _ok, ...request } of [...requests(), ...requests()]) {
      const started = performance.now();
      const response = await t.app.inject({ ...request, headers });
      latencies.push(performance.now() - started);
      const what = `${request.method} ${request.url}`;
      expect(response.statusCode, what).toBe(503);
      expect(response.headers['retry-after'], what).toMatch(/^\d+$/);
      expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      expect(response.json(), what).toEqual({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: expect.any(String),
        instance: request.url,
      });
    }
    // A refused connection fails at once: well under the pool's connect timeout (1 s in tests).
    expect(Math.max(...latencies)).toBeLessThan(1_000);

    expect((await t.app.inject('/health')).statusCode).toBe(200);
    // /ready answers from a result up to a second old.
    await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 5_000 }).toBe(503);

    await postgres.restore();
    await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 10_000 }).toBe(200);
    for (const { ok, ...request } of requests()) {
      expect((await t.app.inject({ ...request, headers })).statusCode, request.url).toBe(ok);
    }
  });

  it('MCP tools say the outage is a 503 to retry, and work again when Postgres is back', async () => {
    const url = new URL(`${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`);
    const client = new Client({ name: 'outage-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
    try {
      const search = () => client.callTool({ name: 'search_documents', arguments: { query: 'harbour' } });
      expect((await search()).isError).toBeFalsy();
      await postgres.cut();
      const failed = await search();
      expect(failed.isError).toBe(true);
      expect(failed.content).toEqual([
        { type: 'text', text: 'A service this tool depends on is unavailable. Retry later. (HTTP 503)' },
      ]);
      await postgres.restore();
      await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 10_000 }).toBe(200);
      expect((await search()).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('answers 503 when a connection cannot be made in time (pool connect timeout)', async () => {
    // A database that accepts connections and never answers (hung, or behind a black hole): the
    // pool gives up after its connect timeout.
    const accepted = new Set<Socket>();
    const silent = createServer((socket) => void accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const hung = await createTestApp({
      database: t.database,
      connectTimeoutMs: 1_000,
      databaseUrl: (url) => {
        const silentUrl = new URL(url);
        silentUrl.hostname = '127.0.0.1';
        silentUrl.port = String(port);
        return silentUrl.href;
      },
    });
    try {
      const started = performance.now();
      const response = await hung.app.inject({ url: '/v1/documents', headers });
      const elapsed = performance.now() - started;
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      // The pool's 1 s connect timeout, not the OS's TCP timeout (minutes); generous for load.
      expect(elapsed).toBeLessThan(3_000);
    } finally {
      await hung.close();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("answers 503, not 500, when the connection's TLS settings make it fail, and the log names the variable", async () => {
    // The test Postgres does not speak TLS; DATABASE_SSL_MODE=require insists on it. A replica
    // deployed like this cannot serve (an operator must fix a variable): unavailable, not broken.
    const { stream: capture, lines: logged } = captureLines();
    const misconfigured = await createTestApp({
      database: t.database,
      env: { DATABASE_SSL_MODE: 'require' },
      logger: createLogger({ service: 'api-test', level: 'warn' }, capture),
    });
    try {
      const response = await misconfigured.app.inject({ url: '/v1/documents', headers });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(logged.join('')).toContain('DATABASE_SSL_MODE');
    } finally {
      await misconfigured.close();
    }
  });
});
