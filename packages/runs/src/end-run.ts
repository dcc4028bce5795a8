import { runs, type Database, type RunStatus, type Transaction } from '@repo/db';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { storeEvents } from './event-log.ts';
import type { RunEvent, RunEventInput } from './events.ts';
import { appendLive, readLive, type LiveStreamBounds } from './live-stream.ts';

export interface EndRunOptions {
  db: Database;
  redis: Redis;
  prefix: string;
  bounds?: LiveStreamBounds;
  runId: string;
  /** The run is ended only from one of these statuses (and when `where` holds, re-checked in the update). */
  from: readonly RunStatus[];
  where?: SQL;
  status: 'failed' | 'cancelled';
  errorCode: string;
  /** For people (`runs.error`); never a provider's or a driver's own text. */
  error: string;
  /** The final event, numbered here after everything the run stored or streamed. */
  event: RunEventInput;
  /**
   * More writes that belong to the ending (the calls left waiting, marked `expired`), run in the
   * same transaction after the run's update: they commit with it or not at all. Only called when
   * the run was ended here.
   */
  alsoInTransaction?: (tx: Transaction) => Promise<void>;
  /** The event is stored but could not be appended to the live stream (followers poll Postgres). */
  onLiveError?: (error: unknown) => void;
}

/**
 * Ends a run that no agent is executing — a lost one (its lease ran out: the reaper), or one
 * waiting for a decision or an agent (cancelled by the api) — with a final event, so followers
 * on every replica see it end. The status change, the event and `alsoInTransaction`'s writes commit
 * together; the event is then appended to the live stream (a failure there goes to `onLiveError`:
 * followers still find it in Postgres, at their next poll).
 *
 * An agent that died may have streamed events it never stored: those still in its live stream are
 * stored here first, so the log holds everything a client could have seen, and the final event is
 * numbered after them. Returns the event, or undefined when the run was not in a `from` status.
 */
export async function endRun(options: EndRunOptions): Promise<RunEvent | undefined> {
  const { db, runId } = options;
  const streamed = await readLive(options.redis, options.prefix, runId, 0).catch((): RunEvent[] => []);
  const event = await db.transaction(async (tx) => {
    const [current] = await tx
      .select({ lastSeq: runs.lastSeq })
      .from(runs)
      .where(and(eq(runs.id, runId), inArray(runs.status, [...options.from]), options.where))
      .for('update');
    if (!current) return undefined;
    const unstored = streamed.filter((event) => event.seq > current.lastSeq);
    const final: RunEvent = {
      seq: Math.max(current.lastSeq, streamed.at(-1)?.seq ?? 0) + 1,
      ...options.event,
    };
    await tx
      .update(runs)
      .set({
        status: options.status,
        errorCode: options.errorCode,
        error: options.error,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastSeq: final.seq,
        finishedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(runs.id, runId));
    await storeEvents(tx, runId, [...unstored, final]);
    await options.alsoInTransaction?.(tx);
    return final;
  });
  if (event) {
    await appendLive(options.redis, options.prefix, runId, [event], {
      final: true,
      ...(options.bounds ? { bounds: options.bounds } : {}),
    }).catch((error: unknown) => options.onLiveError?.(error));
  }
  return event;
}
