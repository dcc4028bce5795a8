import { describe, expect, it } from 'vitest';
import { selectContext, type StoredMessage } from '../src/memory/context-window.ts';

let seq = 0;
const msg = (role: StoredMessage['role'], tokenCount: number): StoredMessage => ({
  seq: ++seq,
  role,
  tokenCount,
});
/** A conversation of `n` turns: user (10) → assistant tool call (5) → tool (20) → assistant (15). */
const conversation = (n: number) =>
  Array.from({ length: n }, () => [
    msg('user', 10),
    msg('assistant', 5),
    msg('tool', 20),
    msg('assistant', 15),
  ]).flat();

describe('selectContext', () => {
  it('keeps everything that fits', () => {
    const messages = conversation(3);
    const selection = selectContext({
      messages,
      systemTokens: 50,
      summaryTokens: 0,
      summarizedThroughSeq: 0,
      budget: 1_000,
    });
    expect(selection.messages).toEqual(messages);
    expect(selection.tokens).toBe(50 + 3 * 50);
    expect(selection.unsummarizedDropped).toBe(0);
  });

  it('drops whole turns, oldest first, and reports them for summarizing', () => {
    const messages = conversation(5);
    const selection = selectContext({
      messages,
      systemTokens: 50,
      summaryTokens: 0,
      summarizedThroughSeq: 0,
      budget: 180,
    });
    // 50 fixed + 2 turns of 50 = 150 ≤ 180; a third turn would be 200.
    expect(selection.messages).toEqual(messages.slice(-8));
    expect(selection.unsummarizedDropped).toBe(12);
    expect(selection.messages[0]?.role).toBe('user');
    expect(selection.overBudget).toBe(false);
  });

  it('never sends what the summary already covers, and counts the summary against the budget', () => {
    const messages = conversation(4);
    const covered = messages[7]!.seq; // the first two turns
    const selection = selectContext({
      messages,
      systemTokens: 50,
      summaryTokens: 30,
      summarizedThroughSeq: covered,
      budget: 1_000,
    });
    expect(selection.messages).toEqual(messages.slice(8));
    expect(selection.tokens).toBe(50 + 30 + 100);
    expect(selection.unsummarizedDropped).toBe(0);
  });

  it('always sends the newest turn, even over budget', () => {
    const messages = [msg('user', 500)];
    const selection = selectContext({
      messages,
      systemTokens: 50,
      summaryTokens: 0,
      summarizedThroughSeq: 0,
      budget: 100,
    });
    expect(selection.messages).toEqual(messages);
    expect(selection.overBudget).toBe(true);
  });

  it('leaves no hole: an older small turn is not kept after a newer one was dropped', () => {
    const messages = [
      msg('user', 5),
      msg('assistant', 5),
      msg('user', 300),
      msg('assistant', 300),
      msg('user', 10),
    ];
    const selection = selectContext({
      messages,
      systemTokens: 0,
      summaryTokens: 0,
      summarizedThroughSeq: 0,
      budget: 100,
    });
    expect(selection.messages).toEqual(messages.slice(4));
    expect(selection.unsummarizedDropped).toBe(4);
  });
});
