import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** The committed migrations, next to src/ and dist/ alike, so one path works in dev and in images. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));

/** Where drizzle's migrator records what it applied (its defaults, spelled out for the checks below). */
export const MIGRATIONS_TABLE = { schema: 'drizzle', table: '__drizzle_migrations' } as const;

export interface BundledMigration {
  tag: string;
  /** drizzle records a migration by this timestamp (`created_at` in its table). */
  when: number;
}

interface Journal {
  entries: { tag: string; when: number }[];
}

export function readBundledMigrations(folder = MIGRATIONS_FOLDER): BundledMigration[] {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, 'utf8')) as Journal;
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.Client, 'query'>;

/** The `created_at` of every migration recorded in the database; empty when none ever ran. */
export async function readRecordedMigrations(db: Queryable): Promise<Set<number>> {
  const exists = await db.query<{ exists: boolean }>(`select to_regclass($1) is not null as exists`, [
    `"${MIGRATIONS_TABLE.schema}"."${MIGRATIONS_TABLE.table}"`,
  ]);
  if (!exists.rows[0]?.exists) return new Set();
  const rows = await db.query<{ created_at: string }>(
    `select created_at from "${MIGRATIONS_TABLE.schema}"."${MIGRATIONS_TABLE.table}"`,
  );
  return new Set(rows.rows.map((row) => Number(row.created_at)));
}

export interface MigrationStatus {
  upToDate: boolean;
  /** Tags of bundled migrations the database has not recorded. */
  pending: string[];
}

/** "Is every migration this build ships applied?" — the readiness check of every service. */
export async function checkMigrations(
  db: Queryable,
  bundled: readonly BundledMigration[] = readBundledMigrations(),
): Promise<MigrationStatus> {
  const recorded = await readRecordedMigrations(db);
  const pending = bundled.filter((migration) => !recorded.has(migration.when)).map((m) => m.tag);
  return { upToDate: pending.length === 0, pending };
}

/**
 * "Has this process seen every migration its build ships applied?", asked before a request is
 * served: an instance that starts before its migrations ran (a platform that deploys it
 * independently of the migrate step) must refuse traffic, whatever routes it there. Latched:
 * migrations are never un-applied, so once the answer is yes the database is not asked again;
 * until then concurrent callers share one check.
 */
export function createMigrationGate(
  db: Queryable,
  bundled: readonly BundledMigration[] = readBundledMigrations(),
) {
  let migrated = false;
  let inFlight: Promise<MigrationStatus> | undefined;
  return {
    get migrated() {
      return migrated;
    },
    async check(): Promise<MigrationStatus> {
      if (migrated) return { upToDate: true, pending: [] };
      inFlight ??= checkMigrations(db, bundled).finally(() => (inFlight = undefined));
      const status = await inFlight;
      if (status.upToDate) migrated = true;
      return status;
    },
  };
}

export type MigrationGate = ReturnType<typeof createMigrationGate>;
