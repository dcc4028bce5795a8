import pg from 'pg';

export interface PoolOptions {
  connectionString: string;
  /** Shows up in `pg_stat_activity`, so a DBA can tell which service holds which connection. */
  applicationName: string;
  max: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** Idle connections are closed after this long; a quiet replica gives its connections back. */
  idleTimeoutMs?: number;
  /** Called for errors on idle clients (e.g. the server restarted). Without a listener pg crashes the process. */
  onError: (error: Error) => void;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName,
    max: options.max,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    // Detects a dead server on an idle connection instead of waiting for the OS TCP timeout.
    keepAlive: true,
  });
  pool.on('error', options.onError);
  return pool;
}

export type Pool = pg.Pool;
