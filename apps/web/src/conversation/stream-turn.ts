import { EventSourceParserStream } from 'eventsource-parser/stream';
import { describeError, type ApiClient } from '../api/client.ts';
import { idempotencyKey } from '../api/idempotency-key.ts';
import { parseTurnEvent, type TurnEvent } from './turn-events.ts';

/**
 * Sends a message and streams the agent's turn (`Accept: text/event-stream`), calling `onEvent`
 * for each event as it arrives. Aborting `signal` closes the request, and the api then aborts the
 * agent's turn (apps/api/src/routes/messages.ts): that is the console's stop button.
 *
 * This speaks the api's own SSE events. The AI SDK's UI message stream protocol (for `useChat`)
 * is being added to the api on another branch; once it lands, this function and turn-events.ts are
 * what `useChat` with a `DefaultChatTransport` on that endpoint replaces.
 */
export async function streamTurn(options: {
  api: ApiClient;
  conversationId: string;
  content: string;
  signal: AbortSignal;
  onEvent: (event: TurnEvent) => void;
}): Promise<void> {
  const { data, error, response } = await options.api.POST('/v1/conversations/{id}/messages', {
    params: {
      path: { id: options.conversationId },
      // One message stored even if the request is retried.
      header: { 'idempotency-key': idempotencyKey() },
    },
    headers: { accept: 'text/event-stream' },
    body: { content: options.content },
    parseAs: 'stream',
    signal: options.signal,
  });
  if (error !== undefined || !data) {
    options.onEvent({ type: 'error', title: error ? describeError(error) : `HTTP ${response.status}` });
    return;
  }
  const events = data.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const message of events) {
    const event = parseTurnEvent(message.event, message.data);
    if (event) options.onEvent(event);
  }
}
