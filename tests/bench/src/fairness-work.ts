import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from '@repo/queue';
import pg from 'pg';
import { containerCpu, ownCpu, processCpu, type CpuClock } from './cpu-meter.ts';
import { commandStats } from './turn-work.ts';

/**
 * What one drain of the backlog cost, per job: the Redis server's commands, Postgres's
 * transactions and rows, and CPU by process. Counted over the whole round (resume → the last job
 * done, the bench's own polling included, which is why it has a column of its own), so a
 * difference between the fair and the first-in-first-out drain shows where it comes from.
 */
export interface DrainWork {
  /** Jobs the counts are divided by: A's backlog and B's one. */
  jobs: number;
  /** Redis commands per job by command (`INFO commandstats`: a script's commands count one by one). */
  redis: Record<string, number>;
  /** Every Redis command per job, the scripts' inner ones and the EVALSHAs themselves. */
  redisTotal: number;
  /** Postgres transactions committed or rolled back per job (each autocommitted statement is one). */
  transactions: number;
  rows: { inserted: number; updated: number; fetched: number };
  /** CPU ms per job: the runners together, Postgres's and Redis's containers, the bench itself. */
  cpuMs: Record<string, number>;
}

interface Counters {
  redis: Record<string, number>;
  transactions: number;
  inserted: number;
  updated: number;
  fetched: number;
  cpu: Record<string, number | undefined>;
}

// A backend reports its statistics at most once a second, and an idle one within 10 s
// (PGSTAT_IDLE_INTERVAL): pg_stat_database is read once every connection has had that time.
const STATS_SETTLE_MS = 11_000;

export interface WorkMeter {
  /** Waits for the statistics to settle, then reads every counter: call before the resume. */
  start(): Promise<void>;
  /** Waits for the statistics to settle and returns the counts since start(), per job. */
  finish(jobs: number): Promise<DrainWork>;
  close(): Promise<void>;
}

/**
 * Counters for `runnerPids` draining the queue of the database at `databaseUrl` and the Redis
 * `redis` is connected to (the bench's own compose project's: nobody else's work is counted).
 * Each read waits STATS_SETTLE_MS first, outside the timed drain.
 */
export async function workMeter(options: {
  databaseUrl: string;
  redis: Redis;
  redisUrl: string;
  runnerPids: number[];
}): Promise<WorkMeter> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const runners = options.runnerPids.map(processCpu);
  const clocks: Record<string, CpuClock> = {
    runners: () => {
      const times = runners.map((clock) => clock());
      return times.includes(undefined) ? undefined : times.reduce((sum, ms) => sum! + ms!, 0);
    },
    postgres: await containerCpu(new URL(options.databaseUrl).port),
    redis: await containerCpu(new URL(options.redisUrl).port),
    bench: ownCpu,
  };
  const read = async (): Promise<Counters> => {
    await delay(STATS_SETTLE_MS);
    const { rows } = await client.query<Record<'transactions' | 'inserted' | 'updated' | 'fetched', string>>(
      `select xact_commit + xact_rollback as transactions, tup_inserted as inserted,
              tup_updated as updated, tup_fetched as fetched
         from pg_stat_database where datname = current_database()`,
    );
    const row = rows[0]!;
    return {
      redis: await commandStats(options.redis),
      transactions: Number(row.transactions),
      inserted: Number(row.inserted),
      updated: Number(row.updated),
      fetched: Number(row.fetched),
      cpu: Object.fromEntries(Object.entries(clocks).map(([name, clock]) => [name, clock()])),
    };
  };
  let before: Counters | undefined;
  return {
    async start() {
      before = await read();
    },
    async finish(jobs) {
      if (!before) throw new Error('workMeter.finish() before start()');
      const after = await read();
      const redis: Record<string, number> = {};
      let redisTotal = 0;
      for (const [command, calls] of Object.entries(after.redis)) {
        // The meter's own INFO calls.
        if (command === 'info') continue;
        const delta = calls - (before.redis[command] ?? 0);
        if (delta <= 0) continue;
        redis[command] = delta / jobs;
        redisTotal += delta / jobs;
      }
      const cpuMs: Record<string, number> = {};
      for (const [name, end] of Object.entries(after.cpu)) {
        const start = before.cpu[name];
        if (start !== undefined && end !== undefined) cpuMs[name] = (end - start) / jobs;
      }
      return {
        jobs,
        redis,
        redisTotal,
        // Less the meter's own first read (its second one is not reported yet when it reads).
        transactions: (after.transactions - before.transactions - 1) / jobs,
        rows: {
          inserted: (after.inserted - before.inserted) / jobs,
          updated: (after.updated - before.updated) / jobs,
          fetched: (after.fetched - before.fetched) / jobs,
        },
        cpuMs,
      };
    },
    close: () => client.end(),
  };
}
