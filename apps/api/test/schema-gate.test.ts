import { runMigrations } from '@repo/db';
import { NOT_MIGRATED_PROBLEM } from '@repo/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, silentLogger, type TestApp } from './support/test-app.ts';

/**
 * A new api replica that starts before the migrations its build ships are applied, and gets
 * traffic anyway (a private network, a platform that routes without its readiness): it refuses
 * every route that touches the database until they are, and serves them once they are.
 */

let t: TestApp;
let alice: { authorization: string };

beforeAll(async () => {
  t = await createTestApp({ migrate: false });
  alice = await t.auth('alice');
});
afterAll(async () => {
  await t?.close();
});

const mcpList = (headers: Record<string, string>) =>
  t.app.inject({
    method: 'POST',
    url: '/mcp',
    headers: {
      ...headers,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
    },
    payload: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
  });

describe('an api replica whose migrations are not applied yet', () => {
  it('answers /v1 and /mcp with 503 problem+json and Retry-After, never touching the old schema', async () => {
    const requests = [
      t.app.inject({ url: '/v1/documents', headers: alice }),
      t.app.inject({ method: 'POST', url: '/v1/search', headers: alice, payload: { query: 'kestrel' } }),
      mcpList(alice),
    ];
    for (const response of await Promise.all(requests)) {
      expect(response.statusCode, response.body).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ type: NOT_MIGRATED_PROBLEM, status: 503 });
      // Migration names are for the operator's log, not for a client.
      expect(response.body).not.toMatch(/\d{4}_[a-z]/);
    }
  });

  it('keeps its probes open: alive, not ready because of the migrations', async () => {
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    const ready = await t.app.inject('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ detail: 'not ready: migrations' });
  });

  it('serves every route once the migrations are applied, without a restart', async () => {
    await runMigrations({ connectionString: t.database.url, tls: { mode: 'disable' }, logger: silentLogger });
    const list = await t.app.inject({ url: '/v1/documents', headers: alice });
    expect(list.statusCode, list.body).toBe(200);
    expect((await mcpList(alice)).statusCode).toBe(200);
    // /ready answers from a check up to a second old.
    await expect.poll(async () => (await t.app.inject('/ready')).statusCode, { timeout: 5_000 }).toBe(200);
  });
});
