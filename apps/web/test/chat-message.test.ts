import { describe, expect, it } from 'vitest';
import { describeChatError, storedToChatMessages, textOf } from '../src/conversation/chat-message.ts';

const stored = (
  seq: number,
  role: 'user' | 'assistant' | 'tool' | 'system',
  content: string,
  extra: { toolCalls?: unknown; toolResults?: unknown } = {},
) =>
  ({
    id: `m${seq}`,
    role,
    content,
    toolCalls: null,
    toolResults: null,
    createdAt: '2026-01-01T00:00:00Z',
    seq,
    ...extra,
  }) as Parameters<typeof storedToChatMessages>[0][number];

describe('the stored history as useChat messages', () => {
  it('gathers a turn’s steps into one assistant message: tool calls with their results, then the text', () => {
    const messages = storedToChatMessages([
      stored(1, 'system', 'You are helpful'),
      stored(2, 'user', 'search: hulls'),
      stored(3, 'assistant', '', {
        toolCalls: [{ toolCallId: 'c1', toolName: 'search_documents', input: { query: 'hulls' } }],
      }),
      stored(4, 'tool', '', {
        toolResults: [{ toolCallId: 'c1', toolName: 'search_documents', output: { hits: [] } }],
      }),
      stored(5, 'assistant', 'Nothing found.'),
      stored(6, 'user', 'thanks'),
    ]);
    expect(messages.map((message) => [message.role, textOf(message)])).toEqual([
      ['user', 'search: hulls'],
      ['assistant', 'Nothing found.'],
      ['user', 'thanks'],
    ]);
    expect(messages[1]!.parts[0]).toEqual({
      type: 'dynamic-tool',
      toolName: 'search_documents',
      toolCallId: 'c1',
      state: 'output-available',
      input: { query: 'hulls' },
      output: { hits: [] },
    });
  });

  it('shows a failed tool call as failed and a call without a stored result as not finished', () => {
    const [, answer] = storedToChatMessages([
      stored(1, 'user', 'go'),
      stored(2, 'assistant', '', {
        toolCalls: [
          { toolCallId: 'a', toolName: 'get_document', input: { id: 'x' } },
          { toolCallId: 'b', toolName: 'get_task', input: { id: 'y' } },
        ],
      }),
      stored(3, 'tool', '', {
        toolResults: [{ toolCallId: 'a', toolName: 'get_document', output: 'not found', isError: true }],
      }),
    ]);
    expect(answer!.parts.map((part) => (part.type === 'dynamic-tool' ? part.state : part.type))).toEqual([
      'output-error',
      'input-available',
    ]);
  });
});

describe('a chat error', () => {
  it('reads a refusal’s problem+json (the AI SDK passes the body on as the message)', () => {
    const body = JSON.stringify({
      type: 'urn:keelson:problem:run-active',
      title: 'Conflict',
      status: 409,
      detail: 'Another run of this conversation is active.',
    });
    expect(describeChatError(new Error(body))).toBe('Conflict: Another run of this conversation is active.');
  });

  it('keeps a stream’s error text as it is', () => {
    expect(describeChatError(new Error('The model failed (model-failed)'))).toBe(
      'The model failed (model-failed)',
    );
    expect(describeChatError(new Error(''))).toBe('The answer failed.');
  });
});
