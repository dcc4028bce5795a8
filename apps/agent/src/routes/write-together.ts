import type { ServerResponse } from 'node:http';

const corked = new WeakSet<ServerResponse>();

/**
 * Holds `response`'s writes until the work of this tick is done, then sends them in one socket
 * write. A run hands its events over in batches (all that were appended to the live stream
 * together); written one by one, each event of a batch was a socket write of its own here and
 * one more at the api relaying it — the largest share of both processes' CPU on a turn. Each
 * cork has its uncork (process.nextTick runs once the promise jobs of the batch have run).
 */
export function writeTogether(response: ServerResponse): void {
  if (corked.has(response)) return;
  corked.add(response);
  response.cork();
  process.nextTick(() => {
    corked.delete(response);
    response.uncork();
  });
}
