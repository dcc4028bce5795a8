import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface ParsedEvent {
  /** The SSE `id:` (a run event's seq), when there is one. */
  id: string | undefined;
  event: string | undefined;
  data: unknown;
}

/** Reads a server-sent events response with a real SSE parser; `onEvent` may abort the request. */
export async function readEvents(
  response: Response,
  onEvent?: (event: ParsedEvent) => void,
): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = [];
  const stream = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  try {
    for await (const message of stream) {
      const event = { id: message.id, event: message.event, data: JSON.parse(message.data) as unknown };
      events.push(event);
      onEvent?.(event);
    }
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  }
  return events;
}
