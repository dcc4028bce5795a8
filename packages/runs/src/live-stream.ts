import type { Redis } from 'ioredis';
import { runEventTypes, type RunEvent } from './events.ts';
import { runEventsChannel, runStreamKey } from './keys.ts';

/**
 * The live tail of a run in Redis: a Stream per run, entry id `<seq>-0`, so `XRANGE key (N-0 +`
 * resumes exactly after event N. It is a cache of the recent events, never the record (that is
 * Postgres' `run_events`), so it is kept small:
 * - at most ~`maxLength` entries (approximate trimming, Redis' cheap form): enough for a follower
 *   to keep up between two Postgres flushes; one that falls further behind reads Postgres;
 * - it expires `activeTtlMs` after the last append while the run lives, `finishedTtlMs` after
 *   the final event (by then every event is in Postgres too).
 * Redis runs with `noeviction` (BullMQ needs it), so an unbounded stream would end up refusing
 * writes to the queues: these bounds are what keep it from that.
 */
export interface LiveStreamBounds {
  maxLength: number;
  activeTtlMs: number;
  finishedTtlMs: number;
}

export const DEFAULT_LIVE_STREAM_BOUNDS: LiveStreamBounds = {
  maxLength: 256,
  activeTtlMs: 10 * 60_000,
  finishedTtlMs: 60_000,
};

const EVENT_TYPES: ReadonlySet<string> = new Set(runEventTypes);

/**
 * Appends `events` (in seq order) and tells followers, in one pipeline (one round trip, and the
 * connection keeps the order of pipelines sent one after another). Entries whose id is not above
 * the stream's last one are refused by Redis; that only happens to a writer that was replaced
 * (its run was ended by someone else), and the rest of the pipeline still runs.
 */
export async function appendLive(
  redis: Redis,
  prefix: string,
  runId: string,
  events: readonly RunEvent[],
  options: { final: boolean; bounds?: LiveStreamBounds },
): Promise<void> {
  if (events.length === 0) return;
  const bounds = options.bounds ?? DEFAULT_LIVE_STREAM_BOUNDS;
  const key = runStreamKey(prefix, runId);
  const pipeline = redis.pipeline();
  for (const event of events) {
    pipeline.xadd(
      key,
      'MAXLEN',
      '~',
      bounds.maxLength,
      `${event.seq}-0`,
      'type',
      event.type,
      'data',
      JSON.stringify(event.data),
    );
  }
  pipeline.pexpire(key, options.final ? bounds.finishedTtlMs : bounds.activeTtlMs);
  pipeline.publish(runEventsChannel(prefix, runId), String(events.at(-1)!.seq));
  await pipeline.exec();
}

/** Events after `afterSeq` still in the stream, oldest first (none when it expired or never was). */
export async function readLive(
  redis: Redis,
  prefix: string,
  runId: string,
  afterSeq: number,
  count = 1_000,
): Promise<RunEvent[]> {
  const entries = await redis.xrange(runStreamKey(prefix, runId), `(${afterSeq}-0`, '+', 'COUNT', count);
  const events: RunEvent[] = [];
  for (const [id, fields] of entries) {
    const event = parseEntry(id, fields);
    if (event) events.push(event);
  }
  return events;
}

/** The highest seq in the stream, 0 when it is empty or gone. */
export async function lastLiveSeq(redis: Redis, prefix: string, runId: string): Promise<number> {
  const [last] = await redis.xrevrange(runStreamKey(prefix, runId), '+', '-', 'COUNT', 1);
  return last ? Number.parseInt(last[0], 10) : 0;
}

function parseEntry(id: string, fields: string[]): RunEvent | undefined {
  const seq = Number.parseInt(id, 10);
  let type: string | undefined;
  let data: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'type') type = fields[i + 1];
    else if (fields[i] === 'data') data = fields[i + 1];
  }
  if (!Number.isSafeInteger(seq) || seq < 1 || !type || !EVENT_TYPES.has(type) || data === undefined) {
    return undefined;
  }
  try {
    return { seq, type: type as RunEvent['type'], data: JSON.parse(data) as unknown };
  } catch {
    return undefined;
  }
}
