/**
 * Which stored messages go to the model: the system prompt always, the running summary when
 * there is one, and then whole turns from the newest backwards while they fit the budget. A turn
 * (a user message and the assistant/tool messages answering it) is never split, so a tool result
 * is never sent without the tool call it answers.
 */
export interface StoredMessage {
  seq: number;
  role: 'user' | 'assistant' | 'tool' | 'system';
  tokenCount: number;
}

export interface ContextInput<M extends StoredMessage> {
  /** Oldest first. The last user message (the one being answered) is always kept. */
  messages: readonly M[];
  systemTokens: number;
  summaryTokens: number;
  /** Messages with seq ≤ this are covered by the summary and never sent again. */
  summarizedThroughSeq: number;
  budget: number;
}

export interface ContextSelection<M extends StoredMessage> {
  messages: M[];
  tokens: number;
  /** Older turns that did not fit and are not yet in the summary: time to summarize. */
  unsummarizedDropped: number;
  /** Even the newest turn alone exceeds the budget (it is sent anyway). */
  overBudget: boolean;
}

export function selectContext<M extends StoredMessage>(input: ContextInput<M>): ContextSelection<M> {
  const candidates = input.messages.filter((m) => m.seq > input.summarizedThroughSeq);
  const turns = splitIntoTurns(candidates);
  const fixed = input.systemTokens + input.summaryTokens;
  let tokens = fixed;
  const kept: M[][] = [];
  let dropped = 0;

  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!;
    const cost = turn.reduce((sum, m) => sum + m.tokenCount, 0);
    const newest = i === turns.length - 1;
    if (newest || (dropped === 0 && tokens + cost <= input.budget)) {
      kept.unshift(turn);
      tokens += cost;
    } else {
      // Once a turn is left out, every older one is too: history has no holes.
      dropped += turn.length;
    }
  }
  return {
    messages: kept.flat(),
    tokens,
    unsummarizedDropped: dropped,
    overBudget: tokens > input.budget,
  };
}

function splitIntoTurns<M extends StoredMessage>(messages: readonly M[]): M[][] {
  const turns: M[][] = [];
  for (const message of messages) {
    if (message.role === 'user' || turns.length === 0) turns.push([message]);
    else turns[turns.length - 1]!.push(message);
  }
  return turns;
}
