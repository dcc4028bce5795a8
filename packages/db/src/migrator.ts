import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Logger } from 'pino';
import { createClient, type DatabaseConnection } from './connection.ts';
import {
  MIGRATIONS_FOLDER,
  MIGRATIONS_TABLE,
  readBundledMigrations,
  readRecordedMigrations,
} from './migrations.ts';

/**
 * One fixed key for the whole cluster. drizzle's migrate() takes no lock of its own, so two
 * processes migrating at once both try `CREATE SCHEMA drizzle` and the same DDL and one crashes
 * (drizzle-orm#874). Every migrator waits for this session-level advisory lock first.
 */
export const MIGRATION_LOCK_KEY = 7_201_900_001n;

export interface MigrateOptions extends DatabaseConnection {
  logger: Logger;
  migrationsFolder?: string;
  /** How long to wait for another migrator to finish before giving up. */
  lockTimeoutMs?: number;
  applicationName?: string;
}

export interface MigrateResult {
  applied: string[];
}

/** Applies every pending migration under the advisory lock; throws (never swallows) on failure. */
export async function runMigrations(options: MigrateOptions): Promise<MigrateResult> {
  const folder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  const log = options.logger.child({ component: 'migrator' });
  const bundled = readBundledMigrations(folder);

  // A client of its own, not a pool: the advisory lock belongs to one session, and every
  // statement below must run on that session.
  const client = createClient({
    connectionString: options.connectionString,
    tls: options.tls,
    application_name: options.applicationName ?? 'keelson-migrator',
  });
  await client.connect();
  try {
    const started = Date.now();
    await client.query(`set lock_timeout = ${Math.trunc(options.lockTimeoutMs ?? 120_000)}`);
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    await client.query('set lock_timeout = 0');
    log.debug({ waitedMs: Date.now() - started }, 'migration lock acquired');
    try {
      const before = await readRecordedMigrations(client);
      const pending = bundled.filter((m) => !before.has(m.when));
      if (pending.length === 0) {
        log.info({ total: bundled.length }, 'database schema is up to date');
        return { applied: [] };
      }
      log.info({ pending: pending.map((m) => m.tag) }, 'applying migrations');
      try {
        await migrate(drizzle(client), {
          migrationsFolder: folder,
          migrationsSchema: MIGRATIONS_TABLE.schema,
          migrationsTable: MIGRATIONS_TABLE.table,
        });
      } catch (error) {
        // drizzle wraps the server's error in "Failed query: …"; lead with what Postgres said.
        throw new Error(`migration failed: ${rootMessage(error)}`, { cause: error });
      }
      const after = await readRecordedMigrations(client);
      const applied = pending.filter((m) => after.has(m.when)).map((m) => m.tag);
      const missing = pending.filter((m) => !after.has(m.when)).map((m) => m.tag);
      if (missing.length > 0) {
        // drizzle only applies migrations newer than the last recorded one: an older, never-applied
        // migration (e.g. from a merged branch) is skipped silently. Refuse to call that success.
        throw new Error(
          `migrations not applied: ${missing.join(', ')} (older than the newest recorded one?)`,
        );
      }
      for (const tag of applied) log.info({ migration: tag }, 'migration applied');
      log.info({ applied: applied.length, ms: Date.now() - started }, 'migrations complete');
      return { applied };
    } finally {
      // Best effort: closing the session below releases the lock anyway, and a failing unlock
      // must not hide the error that got us here.
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
