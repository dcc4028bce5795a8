import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface StreamedEvent {
  id: string | undefined;
  event: string | undefined;
  data: unknown;
}

/**
 * Reads a server-sent events response with a real SSE parser until it ends or breaks off (a
 * replica killed under it), calling `onEvent` for each. Returns the events and whether the stream
 * ended cleanly.
 */
export async function readStream(
  response: Response,
  onEvent?: (event: StreamedEvent) => void | Promise<void>,
): Promise<{ events: StreamedEvent[]; broken: boolean }> {
  const events: StreamedEvent[] = [];
  const parsed = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  try {
    for await (const message of parsed) {
      const event = { id: message.id, event: message.event, data: JSON.parse(message.data) as unknown };
      events.push(event);
      await onEvent?.(event);
    }
    return { events, broken: false };
  } catch {
    return { events, broken: true };
  }
}
