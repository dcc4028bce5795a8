import type { Database } from '@repo/db';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

const dialect = new PgDialect();

/**
 * Runs `query` as the named prepared statement `name`: Postgres parses and plans it once per
 * connection instead of on every turn (each run's start, flushes and end are statements of half a
 * dozen CTEs; parsing and planning them was a large part of Postgres' CPU per turn). drizzle's
 * `execute` cannot name a statement, so the text it builds goes to the pool with a name. The text
 * must be the same on every call (only the parameters change): pg refuses a name reused for
 * another text. Rows come back as pg parses them, as they do from `execute`.
 */
export async function executeNamed<Row extends Record<string, unknown>>(
  db: Database,
  name: string,
  query: SQL,
): Promise<{ rows: Row[] }> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return db.$client.query<Row>({ name, text, values: params });
}
