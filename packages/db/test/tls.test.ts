import type { DatabaseTls } from '@repo/config';
import { startTlsPostgres, type TlsPostgres } from '@repo/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkMigrations, createPool, DatabaseTlsError, runMigrations, type Pool } from '../src/index.ts';

/**
 * Every connection @repo/db makes, against compose.yaml's Postgres with TLS on and plaintext
 * refused (`hostssl` only, like RDS with rds.force_ssl), and a CA this run generated. The leader
 * lock, the third kind of connection, is covered in apps/task-runner/test/leader-lock-tls.test.ts.
 */

const logger = pino({ level: 'silent' });
let server: TlsPostgres;
const pools: Pool[] = [];

beforeAll(async () => {
  server = await startTlsPostgres('db');
}, 180_000);

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  await server?.stop();
}, 60_000);

function pool(connectionString: string, tls: DatabaseTls): Pool {
  const created = createPool({
    connectionString,
    tls,
    applicationName: 'tls-test',
    max: 2,
    statementTimeoutMs: 5_000,
    connectTimeoutMs: 10_000,
    onError: () => {},
  });
  pools.push(created);
  return created;
}

/** What the server says about the session: encrypted or not. */
async function sessionSsl(target: Pool): Promise<boolean> {
  const result = await target.query<{ ssl: boolean }>(
    'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
  );
  return result.rows[0]!.ssl;
}

describe('the pool', () => {
  it('connects with verify-full when the certificate chains to DATABASE_SSL_CA and names the host', async () => {
    expect(await sessionSsl(pool(server.url, { mode: 'verify-full', ca: server.ca }))).toBe(true);
  });

  it('honours sslmode=verify-full in the URL, with the CA from the config', async () => {
    const tls: DatabaseTls = { mode: 'verify-full', ca: server.ca };
    expect(await sessionSsl(pool(`${server.url}?sslmode=verify-full`, tls))).toBe(true);
  });

  it('refuses a certificate from another CA, naming the setting to fix', async () => {
    const failure = pool(server.url, { mode: 'verify-full', ca: server.otherCa }).query('select 1');
    await expect(failure).rejects.toBeInstanceOf(DatabaseTlsError);
    await expect(failure).rejects.toThrow(/not signed by a trusted CA .*DATABASE_SSL_CA/);
  });

  it("refuses the test CA when only Node's built-in store is trusted", async () => {
    await expect(pool(server.url, { mode: 'verify-full' }).query('select 1')).rejects.toThrow(
      /Node's built-in CA store \(DATABASE_SSL_CA is not set\)/,
    );
  });

  it('refuses a host the certificate does not name, naming DATABASE_URL', async () => {
    await expect(
      pool(server.ipUrl, { mode: 'verify-full', ca: server.ca }).query('select 1'),
    ).rejects.toThrow(/does not name the host of DATABASE_URL .*127\.0\.0\.1/);
  });

  it('connects encrypted with require, checking no certificate', async () => {
    expect(await sessionSsl(pool(server.ipUrl, { mode: 'require' }))).toBe(true);
  });

  it('is refused by a server that requires TLS when DATABASE_SSL_MODE is disable', async () => {
    const failure = pool(server.url, { mode: 'disable' }).query('select 1');
    await expect(failure).rejects.toThrow(/refused a connection without TLS .*DATABASE_SSL_MODE=verify-full/);
    // The server's own reason is kept as the cause, and its code for code-based checks.
    await expect(failure).rejects.toMatchObject({ code: '28000', cause: { code: '28000' } });
  });

  it('refuses a server without TLS when the mode requires it', async () => {
    // The shared test server of every other suite speaks plaintext only.
    for (const mode of ['require', 'verify-full'] as const) {
      await expect(pool(inject('databaseUrl'), { mode }).query('select 1')).rejects.toThrow(
        new RegExp(`does not accept TLS connections, and DATABASE_SSL_MODE=${mode} requires TLS`),
      );
    }
  });

  it('never lets a TLS parameter of the URL override the settings', () => {
    expect(() => pool(`${server.url}?sslmode=disable`, { mode: 'verify-full', ca: server.ca })).toThrow(
      /sslmode=disable but the connection is configured for verify-full/,
    );
    expect(() => pool(`${server.url}?sslrootcert=/etc/ssl/x.pem`, { mode: 'verify-full' })).toThrow(
      /sslrootcert is not supported/,
    );
  });
});

describe('the migrator', () => {
  it('migrates over verify-full', async () => {
    const result = await runMigrations({
      connectionString: server.url,
      tls: { mode: 'verify-full', ca: server.ca },
      logger,
    });
    expect(result.applied.length).toBeGreaterThan(0);
    const check = pool(server.url, { mode: 'verify-full', ca: server.ca });
    expect(await checkMigrations(check)).toEqual({ upToDate: true, pending: [] });
  });

  it('refuses another CA before touching the schema, naming the setting to fix', async () => {
    await expect(
      runMigrations({
        connectionString: server.url,
        tls: { mode: 'verify-full', ca: server.otherCa },
        logger,
      }),
    ).rejects.toThrow(/not signed by a trusted CA .*DATABASE_SSL_CA/);
  });

  it('is refused without TLS', async () => {
    await expect(
      runMigrations({ connectionString: server.url, tls: { mode: 'disable' }, logger }),
    ).rejects.toThrow(/refused a connection without TLS/);
  });
});
