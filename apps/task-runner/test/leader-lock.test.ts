import { createTcpProxy, createTestDatabase, waitFor, type TestDatabase } from '@repo/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLeaderLock, LeadershipLostError, type LeaderTerm } from '../src/leadership/leader-lock.ts';
import { createFreezableProxy } from './support/freezable-proxy.ts';
import { silentLogger } from './support/test-runner.ts';

const POLL_MS = 100;
let database: TestDatabase;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'leader_lock');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await database?.drop();
});

function lock(name: string, connectionString = database.url, heartbeatTimeoutMs = 500) {
  return createLeaderLock({
    connectionString,
    tls: { mode: 'disable' },
    applicationName: name,
    pollMs: POLL_MS,
    heartbeatTimeoutMs,
    connectTimeoutMs: 2_000,
    logger: silentLogger,
  });
}

/** Campaigns in the background; records when it won. Stopped after the test. */
function campaign(name: string, connectionString?: string, heartbeatTimeoutMs?: number) {
  const instance = lock(name, connectionString, heartbeatTimeoutMs);
  const stop = new AbortController();
  const result: { term?: LeaderTerm; at?: number; lostAt?: number; instance: typeof instance } = { instance };
  const won = instance.acquire(stop.signal).then((term) => {
    result.term = term;
    result.at = performance.now();
    term?.signal.addEventListener('abort', () => (result.lostAt = performance.now()));
    return term;
  });
  cleanups.push(async () => {
    stop.abort();
    await (await won)?.release();
  });
  return Object.assign(result, { won });
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('the leader lock', () => {
  it('has one holder at a time, and a release hands it over within a poll', async () => {
    const a = campaign('lock-a');
    await a.won;
    const b = campaign('lock-b');
    await waitFor(() => b.instance.healthy, { what: 'standby polling' });
    await new Promise((resolve) => setTimeout(resolve, 5 * POLL_MS));
    expect(b.term).toBeUndefined();

    const releasedAt = performance.now();
    await a.term!.release();
    expect(a.term!.signal.reason).toBeInstanceOf(LeadershipLostError);
    await b.won;
    expect(b.at! - releasedAt).toBeLessThan(POLL_MS + 1_000);
  });

  it('is lost at once when the server ends its session, before a standby can take it', async () => {
    const a = campaign('lock-a');
    await a.won;
    const b = campaign('lock-b');
    await waitFor(() => b.instance.healthy, { what: 'standby polling' });

    await admin((client) =>
      client.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'lock-a' and datname = current_database()`,
      ),
    );
    await b.won;
    expect(a.term!.signal.aborted).toBe(true);
    expect((a.term!.signal.reason as Error).message).toMatch(/leadership lost: the lock connection/);
    expect(a.lostAt!).toBeLessThan(b.at!);
  });

  it('is given up when its session stops answering (network partition), before the server frees it', async () => {
    const proxy = await createFreezableProxy(database.url);
    cleanups.push(() => proxy.close());
    const heartbeatTimeoutMs = 300;
    const a = campaign('lock-a', proxy.url(database.url), heartbeatTimeoutMs);
    await a.won;
    const b = campaign('lock-b');
    await waitFor(() => b.instance.healthy, { what: 'standby polling' });

    const frozenAt = performance.now();
    proxy.freeze();
    await waitFor(() => a.term!.signal.aborted, {
      what: 'leader giving up',
      timeoutMs: 5_000,
      intervalMs: 10,
    });
    // Within one heartbeat interval plus its timeout.
    expect(a.lostAt! - frozenAt).toBeLessThan(POLL_MS + heartbeatTimeoutMs + 500);
    expect((a.term!.signal.reason as Error).message).toMatch(/stopped answering/);
    expect(a.instance.healthy).toBe(false);

    // Giving up closes the session: the server frees the lock and the standby takes over, after.
    await b.won;
    expect(a.lostAt!).toBeLessThan(b.at!);
  });

  it('reports a standby that cannot reach Postgres as unhealthy, and recovers', async () => {
    const holder = campaign('lock-holder');
    await holder.won;
    const proxy = await createTcpProxy(database.url);
    cleanups.push(() => proxy.close());
    const standby = campaign('lock-standby', proxy.url(database.url));
    await waitFor(() => standby.instance.healthy, { what: 'standby healthy' });

    await proxy.cut();
    await waitFor(() => !standby.instance.healthy, { what: 'standby unhealthy' });
    await proxy.restore();
    await waitFor(() => standby.instance.healthy, { what: 'standby healthy again' });
    expect(standby.term).toBeUndefined();
  });
});
