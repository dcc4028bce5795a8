import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface StreamedEvent {
  id: string | undefined;
  event: string | undefined;
  data: unknown;
}

/**
 * Reads a server-sent events response with a real SSE parser until it ends or breaks off (a
 * replica killed under it), calling `onEvent` for each. Returns the events and whether the stream
 * ended cleanly. Only the stream breaking counts as `broken`: an event that is not JSON, or an
 * `onEvent` that throws (a failed assertion), fails the caller, and the stream is cancelled.
 */
export async function readStream(
  response: Response,
  onEvent?: (event: StreamedEvent) => void | Promise<void>,
): Promise<{ events: StreamedEvent[]; broken: boolean }> {
  const events: StreamedEvent[] = [];
  const parsed = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  const messages = parsed[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<{ id?: string | undefined; event?: string | undefined; data: string }>;
      try {
        next = await messages.next();
      } catch {
        return { events, broken: true };
      }
      if (next.done) return { events, broken: false };
      const { id, event: name, data } = next.value;
      const event = { id, event: name, data: JSON.parse(data) as unknown };
      events.push(event);
      await onEvent?.(event);
    }
  } finally {
    // Stops reading (and lets the connection go) when the caller failed midway.
    await messages.return?.().catch(() => undefined);
  }
}
