import { createDatabase, type Database, type Pool } from '@repo/db';
import type { CapturedStatement } from './load-plan.ts';

interface QueryConfig {
  text: string;
  name?: string;
  rowMode?: 'array';
  values?: unknown[];
}

/**
 * The statements `work` sends to Postgres, as pg receives them from drizzle: text, parameters,
 * statement name (a prepared statement) and row mode. `work` runs on a drizzle database whose pool
 * records every query on its way through; the queries run for real. This is how the raw-SQL
 * baselines get the api's exact statements instead of a hand-typed copy that could drift.
 */
export async function captureStatements(
  pool: Pool,
  work: (db: Database) => Promise<unknown>,
): Promise<CapturedStatement[]> {
  const captured: CapturedStatement[] = [];
  // An object whose prototype is the pool: still `instanceof pg.Pool` for drizzle, one method replaced.
  const recording = Object.create(pool) as Pool;
  const query = pool.query.bind(pool) as (config: unknown, values?: unknown[]) => Promise<unknown>;
  recording.query = ((config: string | QueryConfig, values?: unknown[]) => {
    const statement = typeof config === 'string' ? { text: config } : config;
    captured.push({
      text: statement.text,
      values: values ?? statement.values ?? [],
      ...(statement.name ? { name: statement.name } : {}),
      ...(statement.rowMode ? { rowMode: statement.rowMode } : {}),
    });
    return query(config, values);
  }) as Pool['query'];
  await work(createDatabase(recording));
  return captured;
}
