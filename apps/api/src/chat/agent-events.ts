import { Readable } from 'node:stream';
import type { RunEvent } from '@repo/runs';
import { EventSourceParserStream } from 'eventsource-parser/stream';

/**
 * The agent's server-sent events of a run (`id:` its number, `event:` its type, `data:` JSON),
 * read back into run events. The message route relays these bytes untouched; the chat route
 * converts them into the UI message stream instead, so it parses them here once.
 */
export async function* agentRunEvents(body: Readable): AsyncGenerator<RunEvent> {
  const parsed = (Readable.toWeb(body) as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  for await (const message of parsed) {
    yield {
      seq: Number(message.id ?? 0),
      type: (message.event ?? 'message') as RunEvent['type'],
      data: JSON.parse(message.data) as unknown,
    };
  }
}
