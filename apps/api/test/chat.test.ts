import { runs } from '@repo/db';
import { script, textOf, type Responder } from '@repo/fake-llm';
import {
  DefaultChatTransport,
  readUIMessageStream,
  UI_MESSAGE_STREAM_HEADERS,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UI_MESSAGE_STREAM_HEADERS as OUR_HEADERS,
  type ChatMessageMetadata,
} from '../src/chat/ui-message-chunks.ts';
import { insertConversation } from './support/fixtures.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * The AI SDK UI message stream protocol, read by the AI SDK's own client code (what `useChat`
 * runs in a browser): `DefaultChatTransport` sends and reconnects, `readUIMessageStream` builds
 * the assistant message from the chunks. Real api (two replicas), real agent, scripted model.
 */

type ChatMessage = UIMessage<ChatMessageMetadata>;

let s: TestStack;
let otherUrl: string;
let alice: { authorization: string };

beforeAll(async () => {
  s = await createTestStack();
  otherUrl = await s.replicaUrl();
  alice = await s.api.auth('alice');
});
afterAll(async () => {
  await s?.close();
});

const transport = (base = s.apiUrl, headers = alice) =>
  new DefaultChatTransport<ChatMessage>({ api: `${base}/v1/chat`, headers });

let messageCount = 0;
const userMessage = (text: string): ChatMessage => ({
  id: `msg-${++messageCount}-${Date.now()}`,
  role: 'user',
  parts: [{ type: 'text', text }],
});

const send = (chatId: string, message: ChatMessage, signal?: AbortSignal) =>
  transport().sendMessages({
    chatId,
    messages: [message],
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal: signal,
  });

/** The assistant message the stream builds, as useChat would show it once the stream ended. */
async function lastMessage(stream: ReadableStream<UIMessageChunk>): Promise<ChatMessage> {
  let last: ChatMessage | undefined;
  for await (const message of readUIMessageStream<ChatMessage>({ stream, terminateOnError: true })) {
    last = message;
  }
  return last!;
}

const textOfMessage = (message: ChatMessage) =>
  message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

/** Asks for search_documents, then answers with what the tool returned. */
const searchThenQuote: Responder = (request) => {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return { text: `Found: ${textOf(last).slice(0, 40)}` };
  return { toolCalls: [{ name: 'search_documents', arguments: { query: 'kestrel', limit: 3 } }] };
};

describe('the UI message stream (useChat)', () => {
  it('streams a run as the AI SDK reads it: text, the run in the metadata, the reply stored', async () => {
    s.fake.setResponder(script({ text: 'Hello from the agent.' }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const message = await lastMessage(await send(conversationId, userMessage('hi')));

    expect(message.role).toBe('assistant');
    expect(textOfMessage(message)).toBe('Hello from the agent.');
    const { runId, replyMessageId, usage } = message.metadata!;
    expect(message.id).toBe(runId);
    expect(usage!.outputTokens).toBeGreaterThan(0);
    const [run] = await s.api.db.select().from(runs).where(eq(runs.id, runId));
    expect(run).toMatchObject({ conversationId, status: 'succeeded', replyMessageId });
  });

  it('answers with the protocol header, and the run named', async () => {
    s.fake.setResponder(script({ text: 'Headers.' }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const response = await fetch(`${s.apiUrl}/v1/chat`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ id: conversationId, messages: [userMessage('hi')], trigger: 'submit-message' }),
    });
    expect(response.status).toBe(200);
    // The api writes the AI SDK's headers itself (it does not load the package): the same ones.
    expect(OUR_HEADERS).toEqual(UI_MESSAGE_STREAM_HEADERS);
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const runId = response.headers.get('x-keelson-run-id');
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toContain('data: [DONE]');
  });

  it("shows the agent's tool calls and their results as dynamic tool parts", async () => {
    s.fake.setResponder(searchThenQuote);
    const conversationId = await insertConversation(s.api.db, 'alice');
    const message = await lastMessage(await send(conversationId, userMessage('kestrels?')));

    const tool = message.parts.find((part) => part.type === 'dynamic-tool');
    expect(tool).toMatchObject({
      type: 'dynamic-tool',
      toolName: 'search_documents',
      state: 'output-available',
      input: { query: 'kestrel', limit: 3 },
    });
    // Two model calls: the tool's step and the answer's.
    expect(message.parts.filter((part) => part.type === 'step-start')).toHaveLength(2);
    expect(textOfMessage(message)).toMatch(/^Found: /);
  });

  it('a retry of the same message (same id) joins its run: stored once, one model call', async () => {
    s.fake.setResponder(script({ text: 'word '.repeat(30), chunkDelayMs: 20 }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const message = userMessage('once');
    const calls = s.fake.requests.length;
    const [first, second] = await Promise.all([
      send(conversationId, message).then(lastMessage),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
        send(conversationId, message).then(lastMessage),
      ),
    ]);
    expect(second.metadata!.runId).toBe(first.metadata!.runId);
    expect(textOfMessage(second)).toBe(textOfMessage(first));
    expect(s.fake.requests.length - calls).toBe(1);
  });

  it('resumes through another replica from the start of the run, and answers 204 once none is active', async () => {
    s.fake.setResponder(script({ text: 'word '.repeat(60), chunkDelayMs: 20 }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    // The client reads a few chunks, then loses its connection.
    const leaving = new AbortController();
    const reader = (await send(conversationId, userMessage('long'), leaving.signal)).getReader();
    const seen: UIMessageChunk[] = [];
    while (seen.filter((chunk) => chunk.type === 'text-delta').length < 3)
      seen.push((await reader.read()).value!);
    leaving.abort();
    const runId = (seen[0] as { messageMetadata: ChatMessageMetadata }).messageMetadata.runId;

    const resumed = await transport(otherUrl).reconnectToStream({ chatId: conversationId });
    expect(resumed).not.toBeNull();
    const message = await lastMessage(resumed!);
    expect(message.id).toBe(runId);
    expect(textOfMessage(message)).toBe('word '.repeat(60));
    expect(message.metadata!.replyMessageId).toBeDefined();

    expect(await transport(otherUrl).reconnectToStream({ chatId: conversationId })).toBeNull();
  });

  it('refuses a second message while a run is active (409 naming it), as useChat reports an error', async () => {
    s.fake.setResponder(script({ text: 'word '.repeat(100), chunkDelayMs: 20 }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const first = await send(conversationId, userMessage('first'));
    await expect(send(conversationId, userMessage('second'))).rejects.toThrow(/another run/i);
    await lastMessage(first);
  });

  it('ends a cancelled run with an abort chunk', async () => {
    s.fake.setResponder(script({ text: 'word '.repeat(300), chunkDelayMs: 20 }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const chunks: UIMessageChunk[] = [];
    const reader = (await send(conversationId, userMessage('stop me'))).getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
      if (chunks.filter((chunk) => chunk.type === 'text-delta').length === 2) {
        const runId = (chunks[0] as { messageMetadata: ChatMessageMetadata }).messageMetadata.runId;
        await fetch(`${otherUrl}/v1/runs/${runId}/cancel`, { method: 'POST', headers: alice });
      }
    }
    expect(chunks.at(-1)).toEqual({ type: 'abort', reason: 'cancelled' });
    expect(chunks.filter((chunk) => chunk.type === 'finish')).toEqual([]);
  });

  it('validates the body: 400 for another trigger, a last message not from the user, no text; 404 across owners', async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    const post = (body: unknown, headers = alice) =>
      fetch(`${s.apiUrl}/v1/chat`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const cases: Array<[unknown, number]> = [
      [{ id: conversationId, messages: [userMessage('x')], trigger: 'regenerate-message' }, 400],
      [{ id: conversationId, messages: [{ ...userMessage('x'), role: 'assistant' }] }, 400],
      [{ id: conversationId, messages: [{ id: 'a', role: 'user', parts: [{ type: 'file' }] }] }, 400],
      [{ id: conversationId, messages: [] }, 400],
      [{ id: 'not-a-uuid', messages: [userMessage('x')] }, 400],
      [{ id: conversationId, messages: [userMessage('x'.repeat(32_001))] }, 400],
    ];
    for (const [body, status] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body).slice(0, 120)).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const bob = await s.api.auth('bob');
    expect((await post({ id: conversationId, messages: [userMessage('x')] }, bob)).status).toBe(404);
    const resume = await fetch(`${s.apiUrl}/v1/chat/${conversationId}/stream`, { headers: bob });
    expect(resume.status).toBe(404);
  });
});
