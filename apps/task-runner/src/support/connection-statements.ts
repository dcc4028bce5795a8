import type { Pool } from '@repo/db';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PoolClient } from 'pg';

/** A drizzle database bound to one pooled connection: what runs on it shares that session. */
export type Connection = NodePgDatabase & { $client: PoolClient };

/**
 * Runs `work` in a transaction on one of the pool's connections, with `statements` built for that
 * connection. drizzle's prepared queries belong to the client they are built on, and a
 * transaction holds one connection; building a job's statements for every transaction cost about
 * 130 µs of query building per job, most of the runner's ORM time. Here each connection gets its
 * drizzle instance and statements the first time a transaction uses it, and keeps them for its
 * lifetime (a connection the pool drops takes them along).
 */
export function transactions<Statements>(pool: Pool, build: (connection: Connection) => Statements) {
  const built = new WeakMap<PoolClient, { connection: Connection; statements: Statements }>();
  return async <T>(work: (connection: Connection, statements: Statements) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      let entry = built.get(client);
      if (!entry) {
        const connection = drizzle(client);
        entry = { connection, statements: build(connection) };
        built.set(client, entry);
      }
      const { connection, statements } = entry;
      // On a client rather than a pool, drizzle runs begin … commit (or rollback) on that client.
      return await connection.transaction(() => work(connection, statements));
    } finally {
      client.release();
    }
  };
}
