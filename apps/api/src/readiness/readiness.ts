import type { MigrationGate, Pool } from '@repo/db';
import type { Redis } from '@repo/queue';

export type CheckName = 'postgres' | 'migrations' | 'redis';
export type CheckResult = { ok: true } | { ok: false; error: string };

export interface ReadinessReport {
  ready: boolean;
  checks: Record<CheckName, CheckResult>;
}

export interface ReadinessDependencies {
  pool: Pool;
  redis: Redis;
  /** The same check the schema gate asks before a request (latched once every migration is seen). */
  migrations: MigrationGate;
  /** Each check must answer within this long; a hung dependency is a failed one. */
  timeoutMs?: number;
}

/**
 * "Can this replica serve traffic right now?" Postgres and Redis answer, and the database has
 * every migration this build ships (so a new image never serves against an old schema).
 * Checks run in parallel and never throw: each one reports its own error.
 */
export function createReadiness({ pool, redis, migrations, timeoutMs = 2_000 }: ReadinessDependencies) {
  const checks: Record<CheckName, () => Promise<void>> = {
    postgres: async () => {
      await pool.query('select 1');
    },
    migrations: async () => {
      // Migrations are never un-applied: once this process has seen them all, it stops asking.
      const status = await migrations.check();
      if (!status.upToDate) throw new Error(`pending migrations: ${status.pending.join(', ')}`);
    },
    redis: async () => {
      await redis.ping();
    },
  };

  return async function check(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, run]) => [name, await settle(run, timeoutMs)] as const),
    );
    const report = Object.fromEntries(entries) as Record<CheckName, CheckResult>;
    return { ready: entries.every(([, result]) => result.ok), checks: report };
  };
}

async function settle(run: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([run(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export type Readiness = ReturnType<typeof createReadiness>;
