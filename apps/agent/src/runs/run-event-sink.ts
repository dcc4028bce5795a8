import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import {
  appendLive,
  createWaker,
  endsExecution,
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
 * 1. appended to the run's Redis Stream, batched: everything emitted while the previous batch was
 *    on its way goes out in the next pipeline (one at a time, so they arrive in order);
 * 2. once appended, handed to the followers in this process — the HTTP response that started the
 *    run reads from here, without reading Redis or Postgres back. Not before: an event a client
 *    has seen is always in the live stream, so if this agent dies, whatever ends the run (the
 *    reaper) numbers its final event after it, and a client resuming after the last event it saw
 *    still gets the end. (If Redis refuses the append, the events are handed over all the same.)
 * 3. held until the executor stores it in Postgres (`takeUnstored`: every flush, and the end).
 * The final event is `end()`ed only after it is stored, so no follower sees a run end that a
 * `GET /v1/runs/:id` would still show running. Once stored, it (and anything sent with it) goes
 * to the followers here without waiting for its append (rule 2 is not needed then: the run is
 * finished in Postgres, which holds all of it, and a resuming client is answered from there);
 * that takes a Redis round trip off the end of every turn.
 */
export function createRunEventSink(options: RunEventSinkOptions) {
  const { runId, redis, prefix, logger } = options;
  const bounds = options.bounds ? { bounds: options.bounds } : {};
  const delivered: RunEvent[] = [];
  const wakers = new Set<() => void>();
  let seq = options.lastSeq;
  let unstored: RunEvent[] = [];
  let unsent: RunEvent[] = [];
  let sending: Promise<void> = Promise.resolve();
  let abandoned = false;

  const wakeAll = () => {
    for (const wake of wakers) wake();
  };

  /**
   * Sends what is waiting as one pipeline (nothing when an earlier send took it already), and
   * hands it to the followers here once appended — or at once, when it ends a run already
   * stored as finished.
   */
  const send = async (final: boolean, stored: boolean) => {
    if (unsent.length === 0) return;
    const batch = unsent;
    unsent = [];
    const appended = appendLive(redis, prefix, runId, batch, { final, ...bounds }).catch((error: unknown) =>
      logger.warn({ err: error, runId }, 'could not append run events to the live stream'),
    );
    if (!stored) await appended;
    delivered.push(...batch);
    wakeAll();
    await appended;
  };

  // Chained: one pipeline at a time, in order; whatever was emitted while one was on its way
  // goes out together in the next.
  const publish = (event: RunEvent, final: boolean, stored: boolean) => {
    unsent.push(event);
    sending = sending.then(() => send(final, stored));
  };

  return {
    get lastSeq() {
      return seq;
    },

    /** Numbers and publishes an event of a running run. */
    emit(input: RunEventInput): RunEvent {
      const event = { seq: ++seq, ...input };
      unstored.push(event);
      publish(event, false, false);
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

    /**
     * Publishes the final event: followers here and elsewhere see the run end. `stored`: the run's
     * end (this event and every one before it) is in Postgres, so the followers here need not wait
     * for the live stream; otherwise (the end could not be stored) they get it once appended.
     */
    end(event: RunEvent, options: { stored: boolean }) {
      seq = event.seq;
      publish(event, true, options.stored);
    },

    /** Resolves once every event published so far has been handed to the followers here. */
    delivered: (): Promise<void> => sending,

    /**
     * Publishes the stored `approval-requested` event: this execution ends (followers here stop
     * after it); the live stream keeps its active lifetime, since the run goes on once decided.
     */
    pause(event: RunEvent) {
      seq = event.seq;
      // Handed over once appended: the run is not finished, and what follows the decisions
      // reaches followers through the live stream, after this.
      publish(event, false, false);
    },

    /** Ends local followers without a final event (the run was lost: another process ended it). */
    abandon() {
      abandoned = true;
      wakeAll();
    },

    /**
     * This run's events after `afterSeq`, as they come, until the final one or a pause for
     * approval (or `signal`): this sink is one execution's; a continued run has a new one.
     */
    async *follow(afterSeq: number, signal?: AbortSignal): AsyncGenerator<RunEvent> {
      const waker = createWaker();
      wakers.add(waker.wake);
      try {
        let next = delivered.findIndex((event) => event.seq > afterSeq);
        if (next === -1) next = delivered.length;
        while (!signal?.aborted) {
          while (next < delivered.length) {
            const event = delivered[next++]!;
            yield event;
            if (endsExecution(event.type)) return;
          }
          if (abandoned) return;
          await waker.wait(60_000, signal);
        }
      } finally {
        wakers.delete(waker.wake);
      }
    },
  };
}

export type RunEventSink = ReturnType<typeof createRunEventSink>;
