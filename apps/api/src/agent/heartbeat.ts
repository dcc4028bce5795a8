import { setTimeout as delay } from 'node:timers/promises';

/**
 * An SSE comment: clients ignore it, every proxy on the path sees traffic. The agent's streams
 * carry the same one (@fastify/sse's heartbeat).
 */
export const HEARTBEAT = Buffer.from(': heartbeat\n\n');

const SILENT = Symbol('silent');

/** Resolves true once `promise` settles (either way), false if `ms` pass first. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const silence = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      delay(ms, false, { signal: silence.signal }),
    ]);
  } finally {
    silence.abort();
  }
}

/**
 * `source`'s chunks as they arrive, plus HEARTBEAT after every `intervalMs` of silence, so that a
 * stream whose model thinks (or whose tool runs) longer than a proxy's idle timeout stays open.
 * A heartbeat goes only where an event has ended (after a blank line; the agent's events end
 * with `\n\n`), never into the middle of one that arrived in pieces. The silence before the
 * first chunk counts too: `source` may still be waiting for the agent's response.
 */
export async function* withHeartbeat(
  source: AsyncIterable<Buffer>,
  intervalMs: number,
): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  // The last bytes relayed; the start of a stream is between events.
  let tail = '\n\n';
  try {
    for (;;) {
      const silence = new AbortController();
      const result = await Promise.race([next, delay(intervalMs, SILENT, { signal: silence.signal })]);
      silence.abort();
      if (result === SILENT) {
        if (tail.endsWith('\n\n')) yield HEARTBEAT;
        continue;
      }
      if (result.done) return;
      next = iterator.next();
      tail = (tail + result.value.toString('latin1')).slice(-2);
      yield result.value;
    }
  } finally {
    // The consumer left (or the source failed): a read still pending must not reject unheard.
    next.catch(() => {});
    await iterator.return?.();
  }
}
