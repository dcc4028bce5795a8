import type { ChatMessage, ChatRequest, FakeReply, Responder } from './types.ts';

/** Replies in order, one per request; the last one repeats. */
export function script(...replies: FakeReply[]): Responder {
  if (replies.length === 0) throw new Error('script needs at least one reply');
  return (_request, index) => replies[Math.min(index, replies.length - 1)]!;
}

export function textOf(message: ChatMessage | undefined): string {
  if (!message?.content) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text ?? '').join('');
}

/**
 * A deterministic stand-in for a model, for the container suite where no test can script replies:
 * - after a tool result, it answers with that result quoted (so a test can see the tool was used);
 * - asked to "stream slowly: <text>" (or "stream slowly every <n> ms: <text>"), it streams that
 *   text back 8 characters at a time, one piece every n ms (100 by default): a model that takes its
 *   time, for resuming, cancelling and killing a run in the middle;
 * - asked to "queue a task in conversation <uuid>: <text>" with a `create_task` tool available, it
 *   calls that tool with `{conversationId, content: text}` (the api's input schema): a write tool,
 *   which pauses the run for a person's approval by default (API_MCP_REQUIRE_APPROVAL=writes);
 * - asked to "search …" with a `search_documents` tool available, it calls that tool;
 * - otherwise it echoes the user's last message.
 */
export const ruleBasedResponder: Responder = (request: ChatRequest) => {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') {
    return { text: `Here is what I found: ${textOf(last).slice(0, 500)}` };
  }
  const question = textOf([...request.messages].reverse().find((m) => m.role === 'user'));
  const slow = /^stream slowly(?: every (\d{1,5}) ms)?: ([\s\S]+)$/i.exec(question);
  if (slow) return { text: slow[2]!, chunkDelayMs: slow[1] === undefined ? 100 : Number(slow[1]) };
  // Before the search rule: the text to queue may itself mention searching.
  const queue =
    /^queue a task in conversation ([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}):\s*(\S[\s\S]*)$/i.exec(
      question,
    );
  if (queue && request.tools?.some((t) => t.function.name === 'create_task')) {
    return {
      toolCalls: [
        { name: 'create_task', arguments: { conversationId: queue[1]!, content: queue[2]!.trimEnd() } },
      ],
    };
  }
  const search = /\bsearch\b:?\s*(.+)$/i.exec(question);
  if (search && request.tools?.some((t) => t.function.name === 'search_documents')) {
    return { toolCalls: [{ name: 'search_documents', arguments: { query: search[1]!.trim(), limit: 3 } }] };
  }
  return { text: `Echo: ${question}` } satisfies FakeReply;
};
