import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import {
  appendLive,
  createWaker,
  isTerminalEvent,
  type LiveStreamBounds,
  type RunEvent,
  type RunEventInput,
} from '@repo/runs';

export interface RunEventSinkOptions {
  runId: string;
  /** The last seq already used (0 for a new run; a continued run goes on from where it stopped). */
  lastSeq: number;
  redis: Redis;
  prefix: string;
  bounds?: LiveStreamBounds;
  logger: Logger;
}

/**
 * Where an executing run's events go. Each event is numbered, then:
 * 1. kept in memory for the followers in this process — the HTTP response that started the run
 *    reads from here, without a Redis or Postgres round trip;
 * 2. appended to the run's Redis Stream, batched per turn of the event loop into one pipeline
 *    (sent without waiting: a live follower elsewhere is a best effort, Postgres is the record);
 * 3. held until the executor stores it in Postgres (`takeUnstored`: every flush, and the end).
 * The final event is `end()`ed only after it is stored, so no follower sees a run end that a
 * `GET /v1/runs/:id` would still show running.
 */
export function createRunEventSink(options: RunEventSinkOptions) {
  const { runId, redis, prefix, logger } = options;
  const log: RunEvent[] = [];
  const wakers = new Set<() => void>();
  let seq = options.lastSeq;
  let unstored: RunEvent[] = [];
  let unsent: RunEvent[] = [];
  let sending = false;
  let ended = false;

  const wakeAll = () => {
    for (const wake of wakers) wake();
  };

  const sendLive = (final: boolean) => {
    const batch = unsent;
    unsent = [];
    appendLive(redis, prefix, runId, batch, {
      final,
      ...(options.bounds ? { bounds: options.bounds } : {}),
    }).catch((error: unknown) =>
      logger.warn({ err: error, runId }, 'could not append run events to the live stream'),
    );
  };

  const record = (event: RunEvent) => {
    log.push(event);
    unsent.push(event);
    wakeAll();
  };

  return {
    get lastSeq() {
      return seq;
    },

    /** Numbers and publishes an event of a running run. */
    emit(input: RunEventInput): RunEvent {
      const event = { seq: ++seq, ...input };
      record(event);
      unstored.push(event);
      if (!sending) {
        sending = true;
        // Everything emitted in this turn of the event loop goes out in one pipeline.
        setImmediate(() => {
          sending = false;
          if (unsent.length > 0) sendLive(false);
        });
      }
      return event;
    },

    /** The next number, for the final event (stored before it is published). */
    nextSeq: () => seq + 1,

    /** Events not yet stored in Postgres, handed over to be stored now. */
    takeUnstored(): RunEvent[] {
      const taken = unstored;
      unstored = [];
      return taken;
    },

    /** Puts back events whose store failed, ahead of any emitted since. */
    restoreUnstored(events: RunEvent[]) {
      unstored = [...events, ...unstored];
    },

    /** Publishes the stored final event: followers here and elsewhere see the run end. */
    end(event: RunEvent) {
      seq = event.seq;
      record(event);
      ended = true;
      sendLive(true);
    },

    /** Ends local followers without a final event (the run was lost: another process ended it). */
    abandon() {
      ended = true;
      wakeAll();
    },

    /** This run's events after `afterSeq`, as they come, until the final one (or `signal`). */
    async *follow(afterSeq: number, signal?: AbortSignal): AsyncGenerator<RunEvent> {
      const waker = createWaker();
      wakers.add(waker.wake);
      try {
        let next = log.findIndex((event) => event.seq > afterSeq);
        if (next === -1) next = log.length;
        while (!signal?.aborted) {
          while (next < log.length) {
            const event = log[next++]!;
            yield event;
            if (isTerminalEvent(event.type)) return;
          }
          if (ended) return;
          await waker.wait(60_000, signal);
        }
      } finally {
        wakers.delete(waker.wake);
      }
    },
  };
}

export type RunEventSink = ReturnType<typeof createRunEventSink>;
