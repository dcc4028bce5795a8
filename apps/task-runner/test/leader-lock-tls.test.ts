import type { DatabaseTls } from '@repo/config';
import { createClient } from '@repo/db';
import { createLogger } from '@repo/observability';
import { startTlsPostgres, waitFor, type TlsPostgres } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLeaderLock } from '../src/leadership/leader-lock.ts';

/**
 * The leader lock's own session over TLS, against compose.yaml's Postgres with TLS on and
 * plaintext refused (packages/testing's startTlsPostgres). The pool and the migrator are covered
 * in packages/db/test/tls.test.ts.
 */

let server: TlsPostgres;

beforeAll(async () => {
  server = await startTlsPostgres('leader-lock');
}, 180_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

/** A lock whose log lines are kept, to read what an operator would see. */
function lock(name: string, tls: DatabaseTls) {
  const lines: { msg: string; err?: { message: string } }[] = [];
  const logger = createLogger(
    { service: 'leader-lock-tls-test', level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
  );
  const instance = createLeaderLock({
    connectionString: server.url,
    tls,
    applicationName: name,
    pollMs: 100,
    heartbeatTimeoutMs: 2_000,
    connectTimeoutMs: 5_000,
    logger,
  });
  return { instance, lines };
}

describe('the leader lock over TLS', () => {
  it('leads on a verify-full session, encrypted', async () => {
    const { instance } = lock('lock-tls', { mode: 'verify-full', ca: server.ca });
    const stop = new AbortController();
    const term = await instance.acquire(stop.signal);
    try {
      expect(term).toBeDefined();
      const observer = createClient({
        connectionString: server.url,
        tls: { mode: 'verify-full', ca: server.ca },
      });
      await observer.connect();
      try {
        const { rows } = await observer.query<{ ssl: boolean; locks: string }>(
          `select s.ssl, (select count(*) from pg_locks l where l.pid = a.pid and l.locktype = 'advisory') as locks
             from pg_stat_activity a join pg_stat_ssl s using (pid) where a.application_name = $1`,
          ['lock-tls'],
        );
        expect(rows).toEqual([{ ssl: true, locks: '1' }]);
      } finally {
        await observer.end();
      }
    } finally {
      stop.abort();
      await term?.release();
    }
  });

  it('never leads with a wrong CA, and logs which setting to fix', async () => {
    const { instance, lines } = lock('lock-wrong-ca', { mode: 'verify-full', ca: server.otherCa });
    const stop = new AbortController();
    const campaign = instance.acquire(stop.signal);
    await waitFor(() => lines.length > 0, { what: 'a warning from the leader lock' });
    stop.abort();
    expect(await campaign).toBeUndefined();
    expect(instance.healthy).toBe(false);
    expect(lines[0]).toMatchObject({
      msg: 'cannot reach Postgres for the leader lock',
      err: { message: expect.stringMatching(/not signed by a trusted CA .*DATABASE_SSL_CA/) },
    });
  });

  it('is refused without TLS, and logs which setting to fix', async () => {
    const { instance, lines } = lock('lock-plaintext', { mode: 'disable' });
    const stop = new AbortController();
    const campaign = instance.acquire(stop.signal);
    await waitFor(() => lines.length > 0, { what: 'a warning from the leader lock' });
    stop.abort();
    expect(await campaign).toBeUndefined();
    expect(lines[0]?.err?.message).toMatch(/refused a connection without TLS .*DATABASE_SSL_MODE/);
  });
});
