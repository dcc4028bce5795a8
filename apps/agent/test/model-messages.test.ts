import type { Message } from '@repo/db';
import { describe, expect, it } from 'vitest';
import { toModelMessages } from '../src/conversations/model-messages.ts';

type Row = Pick<Message, 'role' | 'content' | 'toolCalls' | 'toolResults'>;

const user = (content: string): Row => ({ role: 'user', content, toolCalls: null, toolResults: null });
const calls = (...ids: string[]): Row => ({
  role: 'assistant',
  content: '',
  toolCalls: ids.map((toolCallId) => ({ toolCallId, toolName: 'tasks__create_task', input: { title: 't' } })),
  toolResults: null,
});
const results = (...ids: string[]): Row => ({
  role: 'tool',
  content: '',
  toolCalls: null,
  toolResults: ids.map((toolCallId) => ({ toolCallId, toolName: 'tasks__create_task', output: 'done' })),
});

const noResult = (toolCallId: string) => ({
  type: 'tool-result',
  toolCallId,
  toolName: 'tasks__create_task',
  output: {
    type: 'error-text',
    value: 'The call never ran: it waited for an approval that did not come (expired or cancelled).',
  },
});
const stored = (toolCallId: string) => ({
  type: 'tool-result',
  toolCallId,
  toolName: 'tasks__create_task',
  output: { type: 'text', value: 'done' },
});

/**
 * Stored history → the model's messages: every tool call must be answered (providers refuse a
 * call with no result), so a call whose run ended while it waited (an approval expired, the run
 * cancelled) gets an error result saying it never ran.
 */
describe('toModelMessages and tool calls with no stored result', () => {
  it('answers a call with no result (its run was cancelled while it waited) with an error result right after it', () => {
    const messages = toModelMessages([user('make a task'), calls('c1'), user('never mind')]);
    expect(messages).toEqual([
      { role: 'user', content: 'make a task' },
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: 'c1', toolName: 'tasks__create_task', input: { title: 't' } },
        ],
      },
      { role: 'tool', content: [noResult('c1')] },
      { role: 'user', content: 'never mind' },
    ]);
  });

  it('joins the missing results to the tool message that follows, after the stored ones', () => {
    // Two calls in one step: c1 needed no approval and ran; c2 waited and expired.
    const messages = toModelMessages([user('go'), calls('c1', 'c2'), results('c1')]);
    expect(messages.slice(2)).toEqual([{ role: 'tool', content: [stored('c1'), noResult('c2')] }]);
  });

  it('adds nothing for calls that have results, nor for calls being continued with their decisions', () => {
    expect(toModelMessages([user('go'), calls('c1'), results('c1')]).slice(2)).toEqual([
      { role: 'tool', content: [stored('c1')] },
    ]);
    // c1 is the paused run's call: its decision answers it (withDecisions), not an error result.
    expect(toModelMessages([user('go'), calls('c1')], new Set(['c1']))).toHaveLength(2);
  });
});
