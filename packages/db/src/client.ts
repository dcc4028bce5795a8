import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import * as schema from './schema/index.ts';

export function createDatabase(pool: pg.Pool) {
  return drizzle(pool, { schema });
}

export type Database = ReturnType<typeof createDatabase>;
/** A transaction handle, for functions that must run inside the caller's transaction. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
