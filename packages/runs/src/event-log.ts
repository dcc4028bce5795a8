import { runEvents, runs, type Database, type RunStatus, type Transaction } from '@repo/db';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { RunEvent } from './events.ts';

/** The durable log: a run's events after `afterSeq`, oldest first, at most `limit`. */
export async function readStoredEvents(
  db: Database,
  runId: string,
  afterSeq: number,
  limit = 1_000,
): Promise<RunEvent[]> {
  const rows = await db
    .select({ seq: runEvents.seq, type: runEvents.type, data: runEvents.data })
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq)))
    .orderBy(asc(runEvents.seq))
    .limit(limit);
  return rows as RunEvent[];
}

/** Inserts numbered events; part of the caller's transaction, so they land with the run's state. */
export async function storeEvents(tx: Database | Transaction, runId: string, events: readonly RunEvent[]) {
  if (events.length === 0) return;
  await tx
    .insert(runEvents)
    .values(events.map((event) => ({ runId, seq: event.seq, type: event.type, data: event.data })));
}

/** Where a run stands, for a follower deciding whether more can come. */
export async function runProgress(
  db: Database,
  runId: string,
): Promise<{ status: RunStatus; lastSeq: number } | undefined> {
  const [row] = await db
    .select({ status: runs.status, lastSeq: runs.lastSeq })
    .from(runs)
    .where(eq(runs.id, runId));
  return row;
}
