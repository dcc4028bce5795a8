import { messages } from '@repo/db';
import { script } from '@repo/fake-llm';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';
import { isComment, readEvents, readStream, type ParsedEvent } from './support/sse.ts';
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

describe('a streamed turn that goes silent for longer than SSE_HEARTBEAT_MS', () => {
  const HEARTBEAT_MS = 100;
  let quiet: TestAgent;
  let quietBase: string;

  beforeAll(async () => {
    quiet = await createTestAgent({
      servers: [{ name: 'math', url: mcp.url, headers: {} }],
      env: { SSE_HEARTBEAT_MS: String(HEARTBEAT_MS) },
    });
    quietBase = await quiet.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    mcp.delayMs = 0;
    await quiet?.close();
  });

  const stream = async (content: string) => {
    const response = await fetch(`${quietBase}/v1/conversations/${await quiet.conversation()}/turns`, {
      method: 'POST',
      headers: { ...quiet.headers(), accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ content }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return readStream(response);
  };
  const events = (items: Awaited<ReturnType<typeof stream>>) =>
    items.filter((item): item is ParsedEvent => !isComment(item));

  it('answers 200 while the model is still silent, and sends heartbeat comments until it speaks', async () => {
    // Silent for ten heartbeat intervals before the first token.
    quiet.fake.setResponder(script({ text: 'Worth the wait.', delayMs: 10 * HEARTBEAT_MS }));
    const items = await stream('think first');
    const firstEvent = items.findIndex((item) => !isComment(item));
    expect(firstEvent, 'heartbeats before the first event').toBeGreaterThanOrEqual(2);
    expect(items.slice(0, firstEvent).every((item) => isComment(item) && item.comment === 'heartbeat')).toBe(
      true,
    );
    // The events are whole and in order (a comment inside one would break its JSON).
    const parsed = events(items);
    expect(parsed.at(-1)?.event).toBe('done');
    const text = parsed
      .filter((e) => e.event === 'text-delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(text).toBe('Worth the wait.');
  });

  it('sends heartbeats between events while a tool call runs longer than the interval', async () => {
    // The tool server turns slow once the tools are listed (the model is asked after that), and
    // stays below the test toolbox's 1 s timeout.
    let calls = 0;
    quiet.fake.setResponder(() => {
      const first = calls++ === 0;
      mcp.delayMs = first ? 5 * HEARTBEAT_MS : 0;
      return first ? { toolCalls: [{ name: 'math__add', arguments: { a: 1, b: 2 } }] } : { text: 'It is 3.' };
    });
    const items = await stream('add slowly');
    const call = items.findIndex((item) => !isComment(item) && item.event === 'tool-call');
    const result = items.findIndex((item) => !isComment(item) && item.event === 'tool-result');
    expect(call).toBeGreaterThanOrEqual(0);
    expect(result).toBeGreaterThan(call);
    expect(
      items.slice(call, result).filter(isComment).length,
      'heartbeats during the tool call',
    ).toBeGreaterThanOrEqual(2);
    expect(events(items).at(-1)?.event).toBe('done');
  });

  it('reports a failure that comes after the 200 as an `error` event with its problem', async () => {
    quiet.fake.setResponder(
      script({ error: { status: 500, message: 'late failure' }, delayMs: 5 * HEARTBEAT_MS }),
    );
    const items = await stream('fail late');
    expect(items.filter(isComment).length).toBeGreaterThanOrEqual(1);
    const last = events(items).at(-1);
    expect(last?.event).toBe('error');
    expect(last?.data).toMatchObject({ status: 502 });
  });
});
