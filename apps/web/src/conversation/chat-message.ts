import type { DynamicToolUIPart, UIMessage } from 'ai';
import { describeError } from '../api/client.ts';
import type { paths } from '../api/schema.ts';

/** What the api puts in an assistant message's metadata (apps/api/src/chat/ui-message-chunks.ts). */
export interface ChatMessageMetadata {
  /** The run this message answers: what the stop button cancels. */
  runId?: string;
  replyMessageId?: string;
  usage?: { inputTokens: number; outputTokens: number };
}

export type ChatMessage = UIMessage<ChatMessageMetadata>;

type StoredMessage =
  paths['/v1/conversations/{id}']['get']['responses'][200]['content']['application/json']['messages'][number];

/**
 * The stored history as `useChat`'s messages: each user message, then one assistant message per
 * turn that gathers the turn's stored steps (assistant messages with their tool calls, the `tool`
 * messages with the results, the final text), so a reloaded conversation looks exactly like the
 * one that streamed. System messages stay out, as they never streamed either.
 */
export function storedToChatMessages(stored: readonly StoredMessage[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let turn: ChatMessage | undefined;
  for (const message of stored) {
    if (message.role === 'user') {
      turn = undefined;
      messages.push({ id: message.id, role: 'user', parts: [{ type: 'text', text: message.content }] });
      continue;
    }
    if (message.role === 'system') continue;
    if (!turn) {
      turn = { id: message.id, role: 'assistant', parts: [] };
      messages.push(turn);
    }
    if (message.role === 'assistant') {
      for (const call of message.toolCalls ?? []) {
        turn.parts.push({
          type: 'dynamic-tool',
          toolName: call.toolName,
          toolCallId: call.toolCallId,
          state: 'input-available',
          input: call.input,
        });
      }
      if (message.content !== '') turn.parts.push({ type: 'text', text: message.content, state: 'done' });
    } else {
      for (const result of message.toolResults ?? []) {
        const index = turn.parts.findIndex(
          (part) => part.type === 'dynamic-tool' && part.toolCallId === result.toolCallId,
        );
        const call = turn.parts[index] as DynamicToolUIPart | undefined;
        if (!call) continue;
        const base = { type: 'dynamic-tool', toolName: call.toolName, toolCallId: call.toolCallId } as const;
        turn.parts[index] = result.isError
          ? { ...base, state: 'output-error', input: call.input, errorText: describeOutput(result.output) }
          : { ...base, state: 'output-available', input: call.input, output: result.output };
      }
    }
  }
  return messages;
}

/** The text of a message's text parts. */
export const textOf = (message: ChatMessage): string =>
  message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

export const describeOutput = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value, null, 2);

/**
 * One line for `useChat`'s error. A run refused before it starts (409 another run is active, 503
 * no agent, …) is a problem+json answer, which the AI SDK passes on as the error's message, body
 * and all: the problem's title and detail read better. An `error` chunk's text is kept as it is.
 */
export function describeChatError(error: Error): string {
  try {
    const problem = JSON.parse(error.message) as unknown;
    if (typeof problem === 'object' && problem !== null && 'title' in problem) return describeError(problem);
  } catch {
    // Not JSON: the stream's own error text.
  }
  return error.message || 'The answer failed.';
}
