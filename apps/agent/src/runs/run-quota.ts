import { ownerCounters, runQuotaCte, runQuotaUsage, type Database } from '@repo/db';
import { HttpProblem } from '@repo/http';
import { sql, type SQL } from 'drizzle-orm';
import type { AgentConfig } from '../config.ts';
import { executeNamed } from './named-statement.ts';

export const QUOTA_EXCEEDED = 'urn:keelson:problem:quota-exceeded';

/** The run quotas' defaults (owner_quotas overrides either, per owner). */
export interface RunQuotaDefaults {
  monthlyTokens: number;
  concurrentRuns: number;
  /**
   * What each run going holds of the monthly budget until it ends: the most one model call can
   * cost (its whole context budget plus its longest answer).
   */
  runReserve: number;
}

export const runQuotaDefaults = (config: AgentConfig): RunQuotaDefaults => ({
  monthlyTokens: config.QUOTA_MONTHLY_TOKENS,
  concurrentRuns: config.QUOTA_CONCURRENT_RUNS,
  runReserve: config.AGENT_TOKEN_BUDGET + config.AGENT_MAX_OUTPUT_TOKENS,
});

/**
 * The admission of a new run (the owner's limits, month and runs ended: @repo/db's runQuotaCte,
 * which the api's GET /v1/quotas reads too), as a CTE named `admit` (one row when admitted) for the statement
 * that inserts the run: it locks the owner's counter row and takes it only if one more run fits
 * both quotas. The runs going (started − ended, both kept by triggers) must stay under the
 * concurrent-runs limit, and the tokens spent this month plus one model call's worth
 * (`runReserve`) for each run going, this one included, must fit the monthly limit — the cost of
 * a run is known only after its calls, so each run going holds the most one call can cost, and a
 * run stops between its steps once the month is spent (budgetSpent). ON CONFLICT DO UPDATE
 * always sees the newest committed row and re-checks its WHERE after waiting for its lock, so
 * concurrent admissions on any replica queue here and none gets past the limits.
 */
export function admitCte(ownerId: string, defaults: RunQuotaDefaults): SQL {
  const reserve = defaults.runReserve;
  return sql`admit as (
    insert into ${ownerCounters} as c (owner_id)
    select ${ownerId} from quota
    where exists (select 1 from conversation) and quota.used + ${reserve} <= quota.token_limit
    on conflict (owner_id) do update set updated_at = now()
    where greatest(c.runs_started - (select ended from quota), 0) < (select max_runs from quota)
      and (select used from quota) + (greatest(c.runs_started - (select ended from quota), 0) + 1) * ${reserve}
          <= (select token_limit from quota)
    returning c.owner_id
  )`;
}

/** The first instant of next month, UTC: when the monthly quota resets. */
export function nextMonth(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/** Retry-After only when the month ends within this: sooner, waiting is the answer. */
const RESETS_SOON_S = 3_600;

/**
 * The 429 of a refused run, naming the quota that refused it, its limit, what is used and when it
 * resets (read after the refusal, so the numbers are the current ones).
 */
export async function refusal(
  db: Database,
  ownerId: string,
  defaults: RunQuotaDefaults,
): Promise<HttpProblem> {
  const {
    tokenLimit,
    maxRuns,
    tokensUsed: used,
    runsGoing: going,
  } = await runQuotaUsage(db, ownerId, defaults);
  if (going >= maxRuns) {
    return new HttpProblem(
      429,
      `This owner has ${going} runs going, the most its quota allows (QUOTA_CONCURRENT_RUNS, or the owner's quota); wait for one to end, or cancel one.`,
      {
        type: QUOTA_EXCEEDED,
        extensions: { quota: 'concurrent-runs', limit: maxRuns, used: going, resetsAt: null },
      },
    );
  }
  const resetsAt = nextMonth();
  const untilReset = Math.ceil((resetsAt.getTime() - Date.now()) / 1000);
  return new HttpProblem(
    429,
    `This owner has used ${used} of its ${tokenLimit} model tokens this month (QUOTA_MONTHLY_TOKENS, or the owner's quota), and its ${going} runs going hold ${going * defaults.runReserve} more until they end; a run needs room for one model call (${defaults.runReserve} tokens).`,
    {
      type: QUOTA_EXCEEDED,
      extensions: {
        quota: 'monthly-tokens',
        limit: tokenLimit,
        used,
        reserved: going * defaults.runReserve,
        resetsAt: resetsAt.toISOString(),
      },
      headers: untilReset <= RESETS_SOON_S ? { 'retry-after': String(untilReset) } : {},
    },
  );
}

/**
 * Whether the owner's month is spent: the tokens stored this month plus `unstored` (this run's
 * calls not yet written) reach the limit. Asked between a run's steps: one read of two rows.
 */
export async function budgetSpent(
  db: Database,
  ownerId: string,
  unstored: number,
  defaults: RunQuotaDefaults,
): Promise<{ spent: boolean; limit: number; used: number }> {
  // Named and prepared, like the run's statements: asked before every further step of every run.
  const result = await executeNamed<{ token_limit: string; used: string }>(
    db,
    'agent_budget_spent',
    sql`with ${runQuotaCte(ownerId, defaults)} select token_limit, used from quota`,
  );
  const limit = Number(result.rows[0]!.token_limit);
  const used = Number(result.rows[0]!.used) + unstored;
  return { spent: used >= limit, limit, used };
}
