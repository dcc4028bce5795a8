import { usageRecords, type Database } from '@repo/db';
import { and, eq, gte, lt, sql } from 'drizzle-orm';

export const usageGroupings = ['day', 'model'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

/** Tokens, model calls and cost of a set of usage records. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  calls: number;
  /** USD of the priced calls; null when none of them is priced (unknown, not free). */
  cost: number | null;
  /** Calls of a model without a price: their cost is not in `cost`. */
  unpricedCalls: number;
}

export type UsageGroup = UsageTotals & ({ day: string } | { provider: string; model: string });

/**
 * An owner's usage, added up by Postgres over the usage records of a time range (the owner and
 * created_at index): one aggregate per group and one for the whole range, no rows sent back.
 */
export function createUsageService(db: Database) {
  const totals = {
    inputTokens: sql<string>`coalesce(sum(${usageRecords.inputTokens}), 0)`,
    outputTokens: sql<string>`coalesce(sum(${usageRecords.outputTokens}), 0)`,
    calls: sql<number>`count(*)::int`,
    // sum() skips nulls: the cost of the priced calls, null when there is none.
    cost: sql<string | null>`sum(${usageRecords.cost})`,
    unpricedCalls: sql<number>`(count(*) filter (where ${usageRecords.cost} is null))::int`,
  };
  const toTotals = (row: {
    inputTokens: string;
    outputTokens: string;
    calls: number;
    cost: string | null;
    unpricedCalls: number;
  }): UsageTotals => ({
    // Sums of integers come back as numeric strings (bigint): safe as numbers far beyond any bill.
    inputTokens: Number(row.inputTokens),
    outputTokens: Number(row.outputTokens),
    calls: row.calls,
    cost: row.cost === null ? null : Number(row.cost),
    unpricedCalls: row.unpricedCalls,
  });

  return {
    async summarize(
      ownerId: string,
      range: { from: Date; to: Date },
      groupBy: UsageGrouping,
    ): Promise<{ totals: UsageTotals; groups: UsageGroup[] }> {
      const inRange = and(
        eq(usageRecords.ownerId, ownerId),
        gte(usageRecords.createdAt, range.from),
        lt(usageRecords.createdAt, range.to),
      );
      const [all] = await db.select(totals).from(usageRecords).where(inRange);
      if (groupBy === 'day') {
        // Calendar days in UTC, whatever the session's time zone.
        const day = sql<string>`to_char(${usageRecords.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
        const rows = await db
          .select({ day, ...totals })
          .from(usageRecords)
          .where(inRange)
          .groupBy(day)
          .orderBy(day);
        return { totals: toTotals(all!), groups: rows.map((row) => ({ day: row.day, ...toTotals(row) })) };
      }
      const rows = await db
        .select({ provider: usageRecords.provider, model: usageRecords.model, ...totals })
        .from(usageRecords)
        .where(inRange)
        .groupBy(usageRecords.provider, usageRecords.model)
        .orderBy(usageRecords.provider, usageRecords.model);
      return {
        totals: toTotals(all!),
        groups: rows.map((row) => ({ provider: row.provider, model: row.model, ...toTotals(row) })),
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
