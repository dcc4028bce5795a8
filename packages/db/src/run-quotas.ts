import { sql, type SQL } from 'drizzle-orm';
import type { Database, Transaction } from './client.ts';
import { ownerCounters, ownerQuotas, ownerSpend } from './schema/owner-quotas.ts';

/** The run quotas' configured defaults (QUOTA_MONTHLY_TOKENS, QUOTA_CONCURRENT_RUNS). */
export interface RunQuotaLimits {
  monthlyTokens: number;
  concurrentRuns: number;
}

/** The first day of this month, UTC, as Postgres computes it (the month the quota counts). */
const THIS_MONTH = sql`date_trunc('month', now() at time zone 'UTC')::date`;

/**
 * One owner's run limits (default or override), tokens spent this month and runs ended, as a
 * statement's CTE named `quota` (columns token_limit, max_runs, used, ended). The agent admits and
 * stops runs with it; the api shows the same numbers (GET /v1/quotas).
 */
export function runQuotaCte(ownerId: string, defaults: RunQuotaLimits): SQL {
  return sql`quota as (
    select coalesce(q.max_monthly_tokens, ${defaults.monthlyTokens})::bigint as token_limit,
           coalesce(q.max_concurrent_runs, ${defaults.concurrentRuns})::bigint as max_runs,
           coalesce(case when s.tokens_month = ${THIS_MONTH} then s.month_tokens end, 0)::bigint as used,
           coalesce(s.runs_ended, 0)::bigint as ended
    from (select 1) as one
    left join ${ownerQuotas} q on q.owner_id = ${ownerId}
    left join ${ownerSpend} s on s.owner_id = ${ownerId}
  )`;
}

/** What the run quotas allow one owner and what it uses now. */
export interface RunQuotaUsage {
  tokenLimit: number;
  /** Tokens of every model call this month, UTC (stored usage; a run's calls not yet flushed are not in it). */
  tokensUsed: number;
  maxRuns: number;
  /** Runs going: started (queued, running, awaiting approval) and not yet ended. */
  runsGoing: number;
}

/** The owner's run quotas, read from the rows the agent's admission decides on. One statement. */
export async function runQuotaUsage(
  executor: Database | Transaction,
  ownerId: string,
  defaults: RunQuotaLimits,
): Promise<RunQuotaUsage> {
  const result = await executor.execute<{
    token_limit: string;
    max_runs: string;
    used: string;
    going: string;
  }>(sql`
    with ${runQuotaCte(ownerId, defaults)}
    select quota.token_limit, quota.max_runs, quota.used,
           greatest(coalesce((select runs_started from ${ownerCounters} where owner_id = ${ownerId}), 0)
                    - quota.ended, 0) as going
    from quota`);
  const row = result.rows[0]!;
  return {
    tokenLimit: Number(row.token_limit),
    tokensUsed: Number(row.used),
    maxRuns: Number(row.max_runs),
    runsGoing: Number(row.going),
  };
}
