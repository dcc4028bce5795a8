import { createTcpProxy, type TcpProxy } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../src/index.ts';

let proxy: TcpProxy;
const pools: Pool[] = [];

beforeAll(async () => {
  proxy = await createTcpProxy(inject('databaseUrl'));
});

afterAll(async () => {
  proxy.thaw();
  await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  await proxy.close();
});

function poolThroughProxy(options: {
  statementTimeoutMs: number;
  queryTimeoutGraceMs: number;
  connectTimeoutMs: number;
}) {
  const pool = createPool({
    connectionString: proxy.url(inject('databaseUrl')),
    tls: { mode: 'disable' },
    applicationName: 'pool-test',
    max: 2,
    onError: () => {},
    ...options,
  });
  pools.push(pool);
  return pool;
}

describe('the pool against a server that goes silent', () => {
  it('gives up on a query on an open connection after the statement timeout plus the grace', async () => {
    const pool = poolThroughProxy({
      statementTimeoutMs: 300,
      queryTimeoutGraceMs: 200,
      connectTimeoutMs: 5_000,
    });
    // A connection is open and idle in the pool before the server goes silent.
    await expect(pool.query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });

    proxy.freeze();
    try {
      const started = performance.now();
      await expect(pool.query('select 1')).rejects.toThrow(/Query read timeout/);
      const elapsed = performance.now() - started;
      // 300 + 200 ms: the client's own timer, not the server (which never sees the query).
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(4_000);
    } finally {
      proxy.thaw();
    }
  });

  it('gives up on a new connection after the connect timeout', async () => {
    const pool = poolThroughProxy({
      statementTimeoutMs: 1_000,
      queryTimeoutGraceMs: 1_000,
      connectTimeoutMs: 400,
    });
    proxy.freeze();
    try {
      const started = performance.now();
      await expect(pool.query('select 1')).rejects.toThrow(/timeout/i);
      expect(performance.now() - started).toBeLessThan(4_000);
    } finally {
      proxy.thaw();
    }
    // The same pool serves again once the server answers (retried: on a loaded machine a fresh
    // connection may itself take longer than this test's short connect timeout).
    const two = () =>
      pool.query<{ two: number }>('select 2 as two').then(
        (result) => result.rows[0]?.two,
        () => undefined,
      );
    await expect.poll(two, { timeout: 15_000, interval: 200 }).toBe(2);
  });
});

describe('the pool when Postgres ends the session of a client that is checked out', () => {
  it('does not crash the process: the client fails its queries until it is released, the pool goes on', async () => {
    const pool = createPool({
      connectionString: inject('databaseUrl'),
      tls: { mode: 'disable' },
      applicationName: 'pool-test-terminated',
      max: 2,
      statementTimeoutMs: 5_000,
      connectTimeoutMs: 5_000,
      onError: () => {},
    });
    pools.push(pool);
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const ended = new Promise((resolve) => client.once('end', resolve));
    // What a Postgres shutdown does to every session, here between two statements of this client.
    await pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    await ended;
    // Without a listener on the checked-out client, its 'error' event was an uncaught exception.
    await expect(client.query('select 1')).rejects.toThrow(/not queryable|terminat/);
    client.release(new Error('session ended'));
    await expect(pool.query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });
});
