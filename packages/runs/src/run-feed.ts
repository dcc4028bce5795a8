import { finalRunStatuses, type Database } from '@repo/db';
import type { Redis } from 'ioredis';
import { readStoredEvents, runProgress } from './event-log.ts';
import { isTerminalEvent, type RunEvent } from './events.ts';
import { runEventsChannel } from './keys.ts';
import { readLive } from './live-stream.ts';
import { createWaker } from './waker.ts';

export interface RunFeedOptions {
  db: Database;
  /** For reading the live streams (XRANGE): the process's ordinary connection. */
  redis: Redis;
  /** For subscriptions only: a subscribed connection can run no other command. */
  subscriber: Redis;
  prefix: string;
  /** Without a notification, the live stream is read again after this long (a lost message). */
  pollMs?: number;
  /** After this many silent polls, Postgres is asked whether the run moved on (Redis lost it?). */
  checkEvery?: number;
  /** A subscription not confirmed within this long is not waited for: polling covers it. */
  subscribeTimeoutMs?: number;
}

/** Events per read, from either store; a longer backlog is read page by page. */
const PAGE = 1_000;
const FINAL: ReadonlySet<string> = new Set(finalRunStatuses);

/**
 * Following runs from any process: `follow(runId, afterSeq)` yields the run's events after
 * `afterSeq`, in order, each once, until its final event — whichever process produces them.
 *
 * - A finished run is replayed from Postgres, which holds all of it, and ends.
 * - A running one is read from its Redis Stream (the recent tail) and, where the stream cannot
 *   continue exactly after the last event given (trimmed, expired, Redis restarted), from
 *   Postgres; events are numbered, so the two are joined without a gap or a repeat.
 * - Between reads it waits for the run's notification (one subscriber connection per process,
 *   subscribed to a run's channel while someone follows it here), or `pollMs` at most; every
 *   `checkEvery` silent polls it asks Postgres how far the run got, so a lost notification or a
 *   lost stream costs a delay, never the end of a run.
 */
export function createRunFeed(options: RunFeedOptions) {
  const { db, redis, subscriber, prefix } = options;
  const pollMs = options.pollMs ?? 1_000;
  const checkEvery = options.checkEvery ?? 3;
  const subscribeTimeoutMs = options.subscribeTimeoutMs ?? 1_000;
  const wakers = new Map<string, Set<() => void>>();

  const onMessage = (channel: string) => {
    for (const wake of wakers.get(channel) ?? []) wake();
  };
  subscriber.on('message', onMessage);

  async function listen(runId: string, wake: () => void): Promise<() => void> {
    const channel = runEventsChannel(prefix, runId);
    let listeners = wakers.get(channel);
    if (!listeners) {
      listeners = new Set();
      wakers.set(channel, listeners);
      // Awaited (bounded) so a notification sent right after the first read is not missed.
      await within(subscriber.subscribe(channel), subscribeTimeoutMs).catch(() => {});
    }
    listeners.add(wake);
    return () => {
      listeners.delete(wake);
      if (listeners.size > 0 || wakers.get(channel) !== listeners) return;
      wakers.delete(channel);
      subscriber.unsubscribe(channel).catch(() => {});
    };
  }

  /** What can be given after `last` now: a contiguous run of events, possibly empty. */
  async function nextBatch(runId: string, last: number, storedLastSeq: number): Promise<RunEvent[]> {
    const live = await readLive(redis, prefix, runId, last, PAGE).catch((): RunEvent[] => []);
    if (live[0]?.seq === last + 1) return contiguous(live, last);
    if (live.length === 0 && storedLastSeq <= last) return [];
    const stored = await readStoredEvents(db, runId, last, PAGE);
    const storedUpTo = stored.at(-1)?.seq ?? last;
    return contiguous([...stored, ...live.filter((event) => event.seq > storedUpTo)], last);
  }

  async function* follow(runId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<RunEvent> {
    const waker = createWaker();
    const stopListening = await listen(runId, waker.wake);
    try {
      let progress = await runProgress(db, runId);
      let last = afterSeq;
      let silentPolls = 0;
      while (progress && !signal?.aborted) {
        const finished = FINAL.has(progress.status);
        const batch = finished
          ? await readStoredEvents(db, runId, last, PAGE)
          : await nextBatch(runId, last, progress.lastSeq);
        for (const event of batch) {
          yield event;
          last = event.seq;
          if (isTerminalEvent(event.type)) return;
        }
        if (batch.length >= PAGE) continue;
        // A finished run has nothing more to give (its final event may predate `afterSeq`).
        if (finished) return;
        if (batch.length > 0) silentPolls = 0;
        const notified = await waker.wait(pollMs, signal);
        if (notified) silentPolls = 0;
        else if (++silentPolls % checkEvery === 0) progress = await runProgress(db, runId);
      }
    } finally {
      stopListening();
    }
  }

  return {
    follow,
    /** Stops listening; followers still running end at their next poll. */
    close() {
      subscriber.off('message', onMessage);
      wakers.clear();
    },
  };
}

export type RunFeed = ReturnType<typeof createRunFeed>;

/** The events of `events` that continue exactly after `last`, up to the first gap. */
function contiguous(events: readonly RunEvent[], last: number): RunEvent[] {
  const out: RunEvent[] = [];
  let expected = last + 1;
  for (const event of events) {
    if (event.seq < expected) continue;
    if (event.seq > expected) break;
    out.push(event);
    expected++;
  }
  return out;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
