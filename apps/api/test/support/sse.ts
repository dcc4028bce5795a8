import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface ParsedEvent {
  /** The SSE `id:` (a run event's number), when there is one. */
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

export type StreamItem = ParsedEvent | { comment: string };

/**
 * Everything a server-sent events response carries, in order: events and comments (heartbeats).
 * A comment written into the middle of an event would break that event's JSON here.
 */
export async function readStream(response: Response): Promise<StreamItem[]> {
  const items: StreamItem[] = [];
  const stream = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(
      new EventSourceParserStream({ onComment: (comment) => items.push({ comment: comment.trim() }) }),
    );
  for await (const message of stream) {
    items.push({ id: message.id, event: message.event, data: JSON.parse(message.data) as unknown });
  }
  return items;
}

export const isComment = (item: StreamItem): item is { comment: string } => 'comment' in item;
