import pg from 'pg';
import { poolConfig, type DatabaseConnection } from './connection.ts';

export interface PoolOptions extends DatabaseConnection {
  /** Shows up in `pg_stat_activity`, so a DBA can tell which service holds which connection. */
  applicationName: string;
  max: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** Idle connections are closed after this long; a quiet replica gives its connections back. */
  idleTimeoutMs?: number;
  /**
   * How long past the statement timeout the client itself gives up on a query (default 5 s). The
   * server cancels a slow statement; this catches the case the server cannot: a connection that
   * went silent (host gone, network partition), where the query would otherwise wait for the OS.
   */
  queryTimeoutGraceMs?: number;
  /** Called for errors on idle clients (e.g. the server restarted). Without a listener pg crashes the process. */
  onError: (error: Error) => void;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool(
    poolConfig({
      connectionString: options.connectionString,
      tls: options.tls,
      application_name: options.applicationName,
      max: options.max,
      statement_timeout: options.statementTimeoutMs,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      // Client-side bound on a query: rejects with "Query read timeout" (answered as a 503 by
      // @repo/http) when the server stops answering on an open connection.
      query_timeout: options.statementTimeoutMs + (options.queryTimeoutGraceMs ?? 5_000),
      // Detects a dead server on an idle connection. The first probe after 10 s of silence: without
      // the delay, Node passes 0 and the OS default applies (2 hours on Linux).
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    }),
  );
  pool.on('error', options.onError);
  // pg-pool listens for errors on idle clients only (the 'error' event above). When the server
  // ends the session of a client that is checked out (a Postgres restart between two statements of
  // a transaction), node-postgres emits 'error' on that client too, and an 'error' event nobody
  // listens to crashes the process. Nothing is lost by listening: the query in flight has already
  // failed with the cause, and the next one on that client fails too, until it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export type Pool = pg.Pool;
