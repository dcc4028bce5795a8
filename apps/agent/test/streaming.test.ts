import { messages } from '@repo/db';
import { script } from '@repo/fake-llm';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';
import { readEvents } from './support/sse.ts';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

let mcp: TestMcpServer;
let t: TestAgent;
let base: string;

beforeAll(async () => {
  mcp = await startTestMcpServer();
  t = await createTestAgent({ servers: [{ name: 'math', url: mcp.url, headers: {} }] });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t?.close();
  await mcp?.stop();
});

const streamTurn = (conversationId: string, content: string, signal?: AbortSignal) =>
  fetch(`${base}/v1/conversations/${conversationId}/turns`, {
    method: 'POST',
    headers: { ...t.headers(), accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
    signal,
  });

describe('a streamed turn', () => {
  it('streams tool calls, tool results and text deltas, then `done` with the stored reply and usage', async () => {
    t.fake.setResponder(
      script(
        { toolCalls: [{ name: 'math__add', arguments: { a: 20, b: 22 } }] },
        { text: 'The sum is 42, as computed.' },
      ),
    );
    const id = await t.conversation();
    const response = await streamTurn(id, 'add');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response);

    const kinds = events.map((e) => e.event);
    expect(kinds.indexOf('tool-call')).toBeLessThan(kinds.indexOf('tool-result'));
    expect(kinds.filter((k) => k === 'text-delta').length).toBeGreaterThan(1);
    expect(kinds.at(-1)).toBe('done');
    const text = events
      .filter((e) => e.event === 'text-delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(text).toBe('The sum is 42, as computed.');
    const done = events.at(-1)!.data as {
      reply: { id: string; content: string };
      usage: { outputTokens: number };
    };
    expect(done.reply.content).toBe(text);
    expect(done.usage.outputTokens).toBeGreaterThan(0);

    const [row] = await t.db.select().from(messages).where(eq(messages.id, done.reply.id));
    expect(row?.content).toBe(text);
  });

  it('answers a turn that fails before streaming with a plain problem status', async () => {
    const response = await streamTurn('00000000-0000-4000-8000-000000000000', 'hello');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('aborts the model call when the client disconnects, and stores no reply', async () => {
    t.fake.setResponder(script({ text: 'word '.repeat(200), chunkDelayMs: 20 }));
    const id = await t.conversation();
    const disconnectsBefore = t.fake.disconnects;
    const controller = new AbortController();
    const response = await streamTurn(id, 'talk for a while', controller.signal);
    const events = await readEvents(response, (event) => {
      if (event.event === 'text-delta') controller.abort();
    });
    expect(events.some((e) => e.event === 'done')).toBe(false);

    await expect.poll(() => t.fake.disconnects, { timeout: 5_000 }).toBe(disconnectsBefore + 1);
    await expect
      .poll(async () =>
        (await t.db.select().from(messages).where(eq(messages.conversationId, id))).map((m) => m.role),
      )
      .toEqual(['user']);
    await expect
      .poll(async () => (await t.app.inject('/metrics')).body)
      .toMatch(/^agent_turns_total\{outcome="aborted",service="agent"\} 1$/m);
  });
});
