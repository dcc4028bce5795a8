import { runs, type Database, type RunStatus } from '@repo/db';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { storeEvents } from './event-log.ts';
import type { RunEvent, RunEventInput } from './events.ts';
import { appendLive, lastLiveSeq, type LiveStreamBounds } from './live-stream.ts';

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
  /** The event is stored but could not be appended to the live stream (followers poll Postgres). */
  onLiveError?: (error: unknown) => void;
}

/**
 * Ends a run that no agent is executing — a lost one (its lease ran out: the reaper), or one
 * waiting for a decision or an agent (cancelled by the api) — with a final event, so followers
 * on every replica see it end. The status change and the event commit together; the event is
 * then appended to the live stream (a failure there goes to `onLiveError`: followers still find it
 * in Postgres, at their next poll).
 *
 * The event is numbered after the higher of the stored log and the live stream: an agent that
 * died may have streamed events it never stored, and a follower that saw them must see the final
 * event after them. Returns the event, or undefined when the run was not in a `from` status.
 */
export async function endRun(options: EndRunOptions): Promise<RunEvent | undefined> {
  const { db, runId } = options;
  const streamed = await lastLiveSeq(options.redis, options.prefix, runId).catch(() => 0);
  const event = await db.transaction(async (tx) => {
    const [ended] = await tx
      .update(runs)
      .set({
        status: options.status,
        errorCode: options.errorCode,
        error: options.error,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastSeq: sql`greatest(${runs.lastSeq}, ${streamed}) + 1`,
        finishedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(runs.id, runId), inArray(runs.status, [...options.from]), options.where))
      .returning({ lastSeq: runs.lastSeq });
    if (!ended) return undefined;
    const final: RunEvent = { seq: ended.lastSeq, ...options.event };
    await storeEvents(tx, runId, [final]);
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
