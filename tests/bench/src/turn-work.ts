import { setTimeout as delay } from 'node:timers/promises';
import { createRedis } from '@repo/queue';
import { waitFor } from '@repo/testing';
import type { ApiStack } from './api-stack.ts';
import { containerCpu, processCpu, type CpuClock } from './cpu-meter.ts';
import { turnTarget } from './turn-bench.ts';

/** What one turn costs Postgres and Redis, averaged over turns sent one after another. */
export interface TurnWork {
  turns: number;
  /** Postgres transactions committed (or rolled back) per turn, by the api and the agent together. */
  transactions: number;
  /** Rows inserted, updated, and fetched (index and table reads returned) per turn. */
  rows: { inserted: number; updated: number; fetched: number };
  /** Redis commands per turn, by command (a pipeline's commands count one by one). */
  redis: Record<string, number>;
  /** The SSE events of one turn, by type. */
  events: Record<string, number>;
  /**
   * CPU ms per turn of each process on the turn's path (Postgres and Redis: their containers'
   * cgroups, when readable): what a turn costs, which barely moves with other work on the machine,
   * unlike its latency. Missing where a clock could not be read.
   */
  cpuMsPerTurn: Record<string, number>;
}

interface DatabaseCounters {
  transactions: number;
  inserted: number;
  updated: number;
  fetched: number;
}

// A backend reports its statistics at most once a second, and an idle one within 10 s
// (PGSTAT_IDLE_INTERVAL): the counters are read once every connection has had that time.
const STATS_SETTLE_MS = 11_000;

/**
 * Sends `turns` turns one after another (nothing else runs) and counts what they did: the
 * transactions of the stack's database (`pg_stat_database`: every autocommitted statement is one,
 * a `BEGIN … COMMIT` is one), its rows, and the Redis server's commands (`INFO commandstats`;
 * the test Redis of the bench's compose project serves nobody else while the turns run).
 * The counters' own reads are subtracted.
 */
export async function measureTurnWork(stack: ApiStack, redisUrl: string, turns: number): Promise<TurnWork> {
  const redis = createRedis(redisUrl, 'producer', 'bench-turn-work');
  try {
    await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
    const turn = turnTarget(stack);
    const events: Record<string, number> = {};
    const send = async (i: number) => {
      const response = await fetch(`${turn.origin}${turn.paths[i % turn.paths.length]}`, {
        method: 'POST',
        headers: turn.headers,
        body: turn.body,
      });
      const text = await response.text();
      if (response.status !== 200 || !text.includes('event: done')) {
        throw new Error(`turn ${i}: ${response.status} ${text.slice(0, 500)}`);
      }
      return text;
    };
    // One turn first, so every prepared statement and connection exists before counting.
    await send(0);
    await delay(STATS_SETTLE_MS);
    const pgBefore = await databaseCounters(stack);
    const redisBefore = await commandStats(redis);
    const clocks: Record<string, CpuClock> = {
      api: processCpu(stack.api.pid),
      agent: processCpu(stack.agent.pid),
      model: processCpu(stack.model.pid),
      postgres: await containerCpu(new URL(stack.databaseUrl).port),
      redis: await containerCpu(new URL(redisUrl).port),
    };
    const cpuBefore = Object.fromEntries(Object.entries(clocks).map(([name, clock]) => [name, clock()]));
    for (let i = 1; i <= turns; i++) {
      const text = await send(i);
      if (i === 1) {
        for (const match of text.matchAll(/^event: (\S+)$/gm)) {
          events[match[1]!] = (events[match[1]!] ?? 0) + 1;
        }
      }
    }
    const cpuMsPerTurn: Record<string, number> = {};
    for (const [name, clock] of Object.entries(clocks)) {
      const [before, after] = [cpuBefore[name], clock()];
      if (before !== undefined && after !== undefined) cpuMsPerTurn[name] = (after - before) / turns;
    }
    await delay(STATS_SETTLE_MS);
    const pgAfter = await databaseCounters(stack);
    const redisAfter = await commandStats(redis);
    const redisPerTurn: Record<string, number> = {};
    for (const [command, calls] of Object.entries(redisAfter)) {
      // The counters' own INFO calls.
      if (command === 'info') continue;
      const delta = calls - (redisBefore[command] ?? 0);
      if (delta > 0) redisPerTurn[command] = delta / turns;
    }
    return {
      turns,
      // Less the one transaction of the first read of the counters (the second one is not counted yet).
      transactions: (pgAfter.transactions - pgBefore.transactions - 1) / turns,
      rows: {
        inserted: (pgAfter.inserted - pgBefore.inserted) / turns,
        updated: (pgAfter.updated - pgBefore.updated) / turns,
        fetched: (pgAfter.fetched - pgBefore.fetched) / turns,
      },
      redis: redisPerTurn,
      events,
      cpuMsPerTurn,
    };
  } finally {
    redis.disconnect();
  }
}

async function databaseCounters(stack: ApiStack): Promise<DatabaseCounters> {
  const { rows } = await stack.pool.query<{ [K in keyof DatabaseCounters]: string }>(
    `select xact_commit + xact_rollback as transactions, tup_inserted as inserted,
            tup_updated as updated, tup_fetched as fetched
       from pg_stat_database where datname = current_database()`,
  );
  const row = rows[0]!;
  return {
    transactions: Number(row.transactions),
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    fetched: Number(row.fetched),
  };
}

/** `INFO commandstats` as calls by command (`cmdstat_xadd:calls=12,usec=…`). */
export async function commandStats(redis: ReturnType<typeof createRedis>): Promise<Record<string, number>> {
  const text = await redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

/** The counts as lines of text. */
export function formatTurnWork(work: TurnWork): string {
  const redis = Object.entries(work.redis)
    .sort(([, a], [, b]) => b - a)
    .map(([command, calls]) => `${command} ${calls.toFixed(1)}`)
    .join(', ');
  const events = Object.entries(work.events)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  return [
    `per turn, over ${work.turns} turns one after another:`,
    `  Postgres transactions: ${work.transactions.toFixed(2)}`,
    `  rows inserted / updated / fetched: ${work.rows.inserted.toFixed(1)} / ${work.rows.updated.toFixed(1)} / ${work.rows.fetched.toFixed(1)}`,
    `  Redis commands: ${redis}`,
    `  events streamed: ${events}`,
    `  CPU ms: ${Object.entries(work.cpuMsPerTurn)
      .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
      .join(', ')}`,
  ].join('\n');
}
