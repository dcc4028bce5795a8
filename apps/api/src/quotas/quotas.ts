import { documents, ownerCounters, ownerQuotas, type Database } from '@repo/db';
import { HttpProblem } from '@repo/http';
import { eq, sql } from 'drizzle-orm';

/** A transaction of `db` (the quotas are taken in the transaction that stores what they count). */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * The configured document quotas; an owner's row in `owner_quotas` overrides either. (The open
 * agent-run quota's default is AGENT_RUN_MAX_OPEN_PER_OWNER, see tasks-service.ts.)
 */
export interface QuotaDefaults {
  maxDocuments: number;
  maxStoredBytes: number;
}

export type QuotaName = 'documents' | 'stored-bytes' | 'open-agent-runs';

export const QUOTA_EXCEEDED = 'urn:keelson:problem:quota-exceeded';

/**
 * 429 naming the quota, its limit and what is used. These quotas do not reset with time (they
 * free up when the owner deletes or finishes something), so `resetsAt` is null and there is no
 * Retry-After: retrying soon would not help.
 */
export function quotaExceeded(quota: QuotaName, limit: number, used: number, detail: string) {
  return new HttpProblem(429, detail, {
    type: QUOTA_EXCEEDED,
    extensions: { quota, limit, used, resetsAt: null },
  });
}

/** The owner's overrides (null columns and a missing row mean the defaults). */
export async function overridesOf(tx: Transaction | Database, ownerId: string) {
  const [row] = await tx.select().from(ownerQuotas).where(eq(ownerQuotas.ownerId, ownerId));
  return row;
}

/** The document limits in force: the defaults, overridden column by column by the owner's row. */
export function documentLimits(
  overrides: typeof ownerQuotas.$inferSelect | undefined,
  defaults: QuotaDefaults,
) {
  return {
    maxDocuments: overrides?.maxDocuments ?? defaults.maxDocuments,
    maxStoredBytes: overrides?.maxStoredBytes ?? defaults.maxStoredBytes,
  };
}

/**
 * What a document counts against the stored-bytes quota: an uploaded file's size (its text, made
 * later by the task-runner, is not counted again), or the text sent as JSON. One measure for the
 * counters' first fill, a delete giving back, and (in JS) a new document taking.
 */
export const storedBytesOfRow =
  sql<number>`coalesce(${documents.byteSize}, octet_length(${documents.content}))`.mapWith(Number);

/**
 * The owner's counter row, created on first need from the documents the owner already holds (an
 * owner from before the counters existed). Concurrent first creations meet on the primary key:
 * one inserts, the others wait for it and find it.
 */
async function ensureCounters(tx: Transaction, ownerId: string) {
  await tx.execute(sql`
    insert into owner_counters (owner_id, documents, stored_bytes)
    select ${ownerId}, count(*), coalesce(sum(${storedBytesOfRow}), 0) from ${documents} where ${documents.ownerId} = ${ownerId}
    on conflict (owner_id) do nothing`);
}

/**
 * Takes one document of `bytes` from the owner's allowance, or throws the 429 naming the quota it
 * would exceed. One conditional UPDATE checks and takes: concurrent takers queue on the row lock
 * and each re-checks the row as the previous one left it (READ COMMITTED re-evaluates the WHERE),
 * so no interleaving of replicas gets past the limit.
 */
export async function takeDocument(tx: Transaction, ownerId: string, bytes: number, defaults: QuotaDefaults) {
  const limits = documentLimits(await overridesOf(tx, ownerId), defaults);
  await ensureCounters(tx, ownerId);
  const [taken] = await tx
    .update(ownerCounters)
    .set({
      documents: sql`${ownerCounters.documents} + 1`,
      storedBytes: sql`${ownerCounters.storedBytes} + ${bytes}`,
      updatedAt: sql`now()`,
    })
    .where(
      sql`${ownerCounters.ownerId} = ${ownerId}
        and ${ownerCounters.documents} + 1 <= ${limits.maxDocuments}
        and ${ownerCounters.storedBytes} + ${bytes} <= ${limits.maxStoredBytes}`,
    )
    .returning({ documents: ownerCounters.documents });
  if (taken) return;
  const [now] = await tx
    .select({ documents: ownerCounters.documents, storedBytes: ownerCounters.storedBytes })
    .from(ownerCounters)
    .where(eq(ownerCounters.ownerId, ownerId));
  if (now!.documents + 1 > limits.maxDocuments) {
    throw quotaExceeded(
      'documents',
      limits.maxDocuments,
      now!.documents,
      `This owner holds ${now!.documents} documents, the most its quota allows; delete one first.`,
    );
  }
  throw quotaExceeded(
    'stored-bytes',
    limits.maxStoredBytes,
    now!.storedBytes,
    `This document (${bytes} bytes) would take the owner past its ${limits.maxStoredBytes} stored bytes; ${now!.storedBytes} are used.`,
  );
}

/** Gives back a deleted document's allowance, in the transaction that deletes it. */
export async function returnDocument(tx: Transaction, ownerId: string, bytes: number) {
  await ensureCounters(tx, ownerId);
  await tx
    .update(ownerCounters)
    .set({
      documents: sql`greatest(${ownerCounters.documents} - 1, 0)`,
      storedBytes: sql`greatest(${ownerCounters.storedBytes} - ${bytes}, 0)`,
      updatedAt: sql`now()`,
    })
    .where(eq(ownerCounters.ownerId, ownerId));
}
