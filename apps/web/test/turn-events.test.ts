import { describe, expect, it } from 'vitest';
import {
  applyTurnEvent,
  emptyTurn,
  parseTurnEvent,
  type TurnEvent,
} from '../src/conversation/turn-events.ts';

const events = (...raw: [string, object][]) =>
  raw.map(([name, data]) => parseTurnEvent(name, JSON.stringify(data))).filter((e): e is TurnEvent => !!e);

describe('a streamed turn', () => {
  it('accumulates text, pairs tool results with their calls, and ends with the stored reply', () => {
    const turn = events(
      [
        'tool-call',
        { type: 'tool-call', toolCallId: 'c1', toolName: 'search_documents', input: { query: 'x' } },
      ],
      ['text-delta', { type: 'text-delta', text: 'Hel' }],
      [
        'tool-result',
        {
          type: 'tool-result',
          toolCallId: 'c1',
          toolName: 'search_documents',
          output: 'hit',
          isError: false,
        },
      ],
      ['text-delta', { type: 'text-delta', text: 'lo' }],
    ).reduce(applyTurnEvent, emptyTurn());
    expect(turn).toMatchObject({
      text: 'Hello',
      status: 'streaming',
      toolCalls: [
        {
          toolCallId: 'c1',
          toolName: 'search_documents',
          input: { query: 'x' },
          output: 'hit',
          isError: false,
        },
      ],
    });
    const [done] = events(['done', { userMessageId: 'u', reply: { content: 'Hello!' } }]);
    expect(applyTurnEvent(turn, done!)).toMatchObject({ text: 'Hello!', status: 'done' });
  });

  it('reports an error event as a failed turn with its problem', () => {
    const [error] = events(['error', { title: 'Gateway Timeout', detail: 'the agent did not answer' }]);
    expect(applyTurnEvent(emptyTurn(), error!)).toMatchObject({
      status: 'failed',
      error: 'Gateway Timeout: the agent did not answer',
    });
  });

  it('ignores an event it does not know (a newer api)', () => {
    expect(parseTurnEvent('reasoning-delta', '{}')).toBeUndefined();
  });
});
