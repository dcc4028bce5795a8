import {
  countOpenTasks,
  documents,
  ownerCounters,
  runQuotaUsage,
  type Database,
  type RunQuotaLimits,
} from '@repo/db';
import { eq, sql } from 'drizzle-orm';
import { documentLimits, overridesOf, storedBytesOfRow, type QuotaDefaults } from './quotas.ts';

/** One quota as its owner sees it: the limit in force (default or override) and what is used. */
export interface QuotaUsage {
  limit: number;
  used: number;
}

export interface OwnerQuotas {
  documents: QuotaUsage;
  storedBytes: QuotaUsage;
  openAgentRuns: QuotaUsage;
  /** The agent's: model tokens of every call this calendar month, UTC. */
  monthlyTokens: QuotaUsage;
  /** The agent's: runs queued, running or awaiting an approval. */
  concurrentRuns: QuotaUsage;
}

/** What the owner holds, counted from its documents as the counters' first fill would count it. */
async function heldFromDocuments(db: Database, ownerId: string) {
  const [row] = await db
    .select({
      documents: sql<number>`count(*)::int`,
      // A sum of bigints is numeric: a string, exact far beyond any quota.
      storedBytes: sql<string>`coalesce(sum(${storedBytesOfRow}), 0)`.mapWith(Number),
    })
    .from(documents)
    .where(eq(documents.ownerId, ownerId));
  return { documents: row?.documents ?? 0, storedBytes: row?.storedBytes ?? 0 };
}

/**
 * An owner's own limits and what they use now, read from the same rows the quotas are enforced
 * on (owner_quotas, owner_counters, owner_spend, tasks), so the numbers shown are the numbers that
 * refuse. The run quotas are the agent's: read with its statement (@repo/db runQuotaUsage) and
 * its defaults, which this deployment passes to the api too (QUOTA_MONTHLY_TOKENS, QUOTA_CONCURRENT_RUNS).
 * A read never writes: an owner without a counter row yet (nothing stored since the counters
 * existed) is counted from its documents, as the first write would fill the row.
 */
export function createQuotasService(
  db: Database,
  defaults: QuotaDefaults & { maxOpenAgentRuns: number; runs: RunQuotaLimits },
) {
  return {
    async of(ownerId: string): Promise<OwnerQuotas> {
      const [overrides, [counters], openRuns, runQuotas] = await Promise.all([
        overridesOf(db, ownerId),
        db
          .select({ documents: ownerCounters.documents, storedBytes: ownerCounters.storedBytes })
          .from(ownerCounters)
          .where(eq(ownerCounters.ownerId, ownerId)),
        // Counted as tasks-service.ts counts them when it refuses one more.
        countOpenTasks(db, ownerId, 'agent-run'),
        runQuotaUsage(db, ownerId, defaults.runs),
      ]);
      const held = counters ?? (await heldFromDocuments(db, ownerId));
      const limits = documentLimits(overrides, defaults);
      return {
        documents: { limit: limits.maxDocuments, used: held.documents },
        storedBytes: { limit: limits.maxStoredBytes, used: held.storedBytes },
        openAgentRuns: {
          limit: overrides?.maxOpenAgentRuns ?? defaults.maxOpenAgentRuns,
          used: openRuns,
        },
        monthlyTokens: { limit: runQuotas.tokenLimit, used: runQuotas.tokensUsed },
        concurrentRuns: { limit: runQuotas.maxRuns, used: runQuotas.runsGoing },
      };
    },
  };
}

export type QuotasService = ReturnType<typeof createQuotasService>;
