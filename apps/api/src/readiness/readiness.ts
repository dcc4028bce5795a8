import type { MigrationGate, Pool } from '@repo/db';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';

export type CheckName = 'postgres' | 'migrations' | 'redis';
/** What a probe is told: no error text (it holds internal addresses), the log has it. */
export type CheckResult = { ok: boolean };

export interface ReadinessReport {
  ready: boolean;
  checks: Record<CheckName, CheckResult>;
}

export interface ReadinessDependencies {
  pool: Pool;
  redis: Redis;
  /** The same check the schema gate asks before a request (latched once every migration is seen). */
  migrations: MigrationGate;
  /** Why a check failed is logged here (once per check run), never sent to the caller. */
  logger: Logger;
  /** Each check must answer within this long; a hung dependency is a failed one. */
  timeoutMs?: number;
  /**
   * A report is reused for this long, and callers arriving while one is computed wait for it:
   * however many probes (or anonymous callers: /ready is public behind the load balancer) ask,
   * this replica takes at most one database connection and one Redis round trip per period.
   */
  cacheMs?: number;
}

/**
 * "Can this replica serve traffic right now?" Postgres and Redis answer, and the database has
 * every migration this build ships (so a new image never serves against an old schema).
 * Checks run in parallel and never throw: each one reports ok or not, and logs why not.
 */
export function createReadiness({
  pool,
  redis,
  migrations,
  logger,
  timeoutMs = 2_000,
  cacheMs = 1_000,
}: ReadinessDependencies) {
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

  async function run(): Promise<ReadinessReport> {
    const failures: Partial<Record<CheckName, string>> = {};
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const error = await settle(check, timeoutMs);
        if (error !== undefined) failures[name as CheckName] = error;
        return [name, { ok: error === undefined }] as const;
      }),
    );
    const report = Object.fromEntries(entries) as Record<CheckName, CheckResult>;
    if (Object.keys(failures).length > 0) logger.warn({ failures }, 'not ready');
    return { ready: entries.every(([, result]) => result.ok), checks: report };
  }

  let latest: { report: Promise<ReadinessReport>; until: number } | undefined;
  return function check(): Promise<ReadinessReport> {
    if (latest === undefined || performance.now() >= latest.until) {
      // While it runs, everyone shares it (a silent dependency takes `timeoutMs` to fail); once
      // answered, it is reused for `cacheMs`.
      const entry = { report: run(), until: Number.POSITIVE_INFINITY };
      latest = entry;
      void entry.report.then(() => {
        entry.until = performance.now() + cacheMs;
      });
    }
    return latest.report;
  };
}

/** Runs one check within `timeoutMs`: undefined when it passed, else why it failed. */
async function settle(run: () => Promise<void>, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([run(), timeout]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

export type Readiness = ReturnType<typeof createReadiness>;
