import { messages } from '@repo/db';
import { script } from '@repo/fake-llm';
import { and, eq } from 'drizzle-orm';
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

  it('numbers every event (SSE id = seq, from 1, no gap) and names the run in a header', async () => {
    t.fake.setResponder(script({ text: 'Numbered from one.' }));
    const id = await t.conversation();
    const response = await streamTurn(id, 'count');
    const runId = response.headers.get('x-keelson-run-id');
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const events = await readEvents(response);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { runId } });
  });

  it('keeps running when the client disconnects: the model call goes on and the reply is stored', async () => {
    t.fake.setResponder(script({ text: 'word '.repeat(40), chunkDelayMs: 10 }));
    const id = await t.conversation();
    const disconnectsBefore = t.fake.disconnects;
    const controller = new AbortController();
    const response = await streamTurn(id, 'talk for a while', controller.signal);
    const events = await readEvents(response, (event) => {
      if (event.event === 'text-delta') controller.abort();
    });
    expect(events.some((e) => e.event === 'done')).toBe(false);

    await expect
      .poll(async () =>
        (await t.db.select().from(messages).where(eq(messages.conversationId, id))).map((m) => m.role),
      )
      .toEqual(['user', 'assistant']);
    expect(t.fake.disconnects).toBe(disconnectsBefore);
    const [reply] = await t.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, id), eq(messages.role, 'assistant')));
    expect(reply?.content).toBe('word '.repeat(40));
  });
});
