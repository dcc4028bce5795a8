import { createServer } from 'node:net';
import { once } from 'node:events';
import { messages } from '@repo/db';
import { script, textOf, type Responder } from '@repo/fake-llm';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from './support/sse.ts';
import { insertConversation, insertDocument } from './support/fixtures.ts';
import { freePort } from '@repo/testing';
import { createTestStack, type TestStack } from './support/test-stack.ts';
import type { TestApp } from './support/test-app.ts';

/**
 * `POST /v1/conversations/:id/messages` against the real agent service (its production factory),
 * whose model is the fake provider and whose tools are this api's /mcp: the whole loop, over
 * real HTTP between every hop.
 */

let s: TestStack;
let alice: { authorization: string };

beforeAll(async () => {
  s = await createTestStack();
  alice = await s.api.auth('alice');
  await insertDocument(s.api.db, 'alice', 'Birds of the coast', [
    'The kestrel hovers over the dunes before it drops on its prey.',
    'Gulls nest on the cliffs.',
  ]);
  await insertDocument(s.api.db, 'bob', 'Bob’s notes', ['The kestrel is my favourite bird, says Bob.']);
});
afterAll(async () => {
  await s?.close();
});

const send = (
  conversationId: string,
  content: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) =>
  fetch(`${s.apiUrl}/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { ...alice, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ content }),
    ...(signal ? { signal } : {}),
  });

const storedRoles = async (conversationId: string) =>
  (
    await s.api.db
      .select({ role: messages.role })
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(asc(messages.seq))
  ).map((m) => m.role);

/** Asks for search_documents, then answers with what the tool returned, quoted. */
const searchThenQuote: Responder = (request) => {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return { text: `From your documents: ${textOf(last)}` };
  return { toolCalls: [{ name: 'search_documents', arguments: { query: 'kestrel', limit: 3 } }] };
};

interface Turn {
  userMessageId: string;
  reply: { id: string; role: string; content: string };
  messages: { role: string; toolCalls: { toolName: string }[] | null }[];
  replayed: boolean;
}

describe('the full loop: user → api → agent → model → agent → api /mcp → answer', () => {
  it('answers with the owner’s real search results, fetched by the agent over MCP with the service token', async () => {
    s.fake.setResponder(searchThenQuote);
    const conversationId = await insertConversation(s.api.db, 'alice');
    const response = await send(conversationId, 'What do my notes say about kestrels?');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const turn = (await response.json()) as Turn;

    expect(turn.reply.role).toBe('assistant');
    expect(turn.reply.content).toContain('The kestrel hovers over the dunes');
    // Acting for alice: bob's chunk about kestrels is not in what the api's /mcp returned.
    expect(turn.reply.content).not.toContain('says Bob');
    expect(turn.messages.flatMap((m) => m.toolCalls ?? []).map((c) => c.toolName)).toEqual([
      'search_documents',
    ]);
    expect(await storedRoles(conversationId)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    // The model was offered the api's tools under their own names.
    expect(
      s.fake.requests
        .at(-1)
        ?.tools?.map((t) => t.function.name)
        .sort(),
    ).toEqual(['create_task', 'get_document', 'get_task', 'search_documents']);
  });

  it('streams the turn through unchanged, event by event, to a real SSE parser', async () => {
    s.fake.setResponder((request, index) =>
      request.messages.at(-1)?.role === 'tool'
        ? { text: `Found it: ${textOf(request.messages.at(-1)).slice(0, 60)}`, chunkDelayMs: 30 }
        : searchThenQuote(request, index),
    );
    const conversationId = await insertConversation(s.api.db, 'alice');
    const started = performance.now();
    const response = await send(conversationId, 'kestrels?', { accept: 'text/event-stream' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');

    const arrivals: { event: string | undefined; at: number }[] = [];
    const events = await readEvents(response, (event) =>
      arrivals.push({ event: event.event, at: performance.now() - started }),
    );
    const kinds = events.map((e) => e.event);
    expect(kinds.indexOf('tool-call')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('tool-call')).toBeLessThan(kinds.indexOf('tool-result'));
    expect(kinds.filter((k) => k === 'text-delta').length).toBeGreaterThan(3);
    expect(kinds.at(-1)).toBe('done');
    const text = events
      .filter((e) => e.event === 'text-delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    const done = events.at(-1)!.data as Turn;
    expect(done.reply.content).toBe(text);
    expect(text).toMatch(/^Found it: /);
    // Not buffered: the first delta reached the client well before the last (30 ms per chunk).
    const deltas = arrivals.filter((a) => a.event === 'text-delta');
    expect(deltas.at(-1)!.at - deltas[0]!.at).toBeGreaterThan(100);
  });

  it('leaves the run going when the client disconnects mid-stream: the reply is stored, nothing aborted', async () => {
    s.fake.setResponder(script({ text: 'word '.repeat(40), chunkDelayMs: 10 }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const before = s.fake.disconnects;
    const controller = new AbortController();
    const response = await send(conversationId, 'talk', { accept: 'text/event-stream' }, controller.signal);
    const events = await readEvents(response, (event) => {
      if (event.event === 'text-delta') controller.abort();
    });
    expect(events.some((e) => e.event === 'done')).toBe(false);
    await expect.poll(() => storedRoles(conversationId), { timeout: 5_000 }).toEqual(['user', 'assistant']);
    expect(s.fake.disconnects).toBe(before);
  });

  it('leaves the run going when a client waiting for a JSON answer disconnects; a cancel stops it', async () => {
    s.fake.setResponder(script({ hang: true }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const before = s.fake.disconnects;
    const controller = new AbortController();
    const pending = send(conversationId, 'wait for it', {}, controller.signal);
    await expect
      .poll(() => s.fake.requests.at(-1)?.messages.at(-1))
      .toMatchObject({ content: 'wait for it' });
    controller.abort();
    await expect(pending).rejects.toThrow();
    const runs = (
      await s.api.app.inject({ url: `/v1/conversations/${conversationId}/runs`, headers: alice })
    ).json<{ items: { id: string; status: string }[] }>();
    expect(runs.items).toMatchObject([{ status: 'running' }]);
    expect(s.fake.disconnects).toBe(before);
    const cancelled = await s.api.app.inject({
      method: 'POST',
      url: `/v1/runs/${runs.items[0]!.id}/cancel`,
      headers: alice,
    });
    expect(cancelled.statusCode).toBe(202);
    await expect.poll(() => s.fake.disconnects, { timeout: 5_000 }).toBe(before + 1);
  });

  it("passes the agent's own problems on: a failing provider is the agent's 502, in words of ours", async () => {
    // A provider's error text can quote a fragment of the key: it never reaches the client.
    const leak = 'upstream exploded; Incorrect API key provided: sk-proj-Qw3rTy0123456789';
    s.fake.setResponder(script({ error: { status: 500, message: leak } }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    for (const accept of ['application/json', 'text/event-stream']) {
      const response = await send(conversationId, 'hello', { accept });
      expect(response.status, accept).toBe(502);
      expect(response.headers.get('content-type'), accept).toMatch(/^application\/problem\+json/);
      const text = await response.text();
      expect(text, accept).not.toMatch(/exploded|sk-proj/);
      expect(JSON.parse(text), accept).toMatchObject({
        status: 502,
        type: 'urn:keelson:problem:model-provider',
        detail:
          'The model provider failed; nothing was stored for this reply. Retry later, or quote the request id.',
        instance: `/v1/conversations/${conversationId}/messages`,
        // The api's request id, which it handed to the agent: one id to quote, in both logs.
        requestId: response.headers.get('x-request-id'),
      });
    }
  });
});

describe('failures between the api and the agent', () => {
  let slow: TestApp;
  beforeAll(async () => {
    // The api gives up after 500 ms; the agent's own model timeout is far longer.
    slow = await s.apiWith({ AGENT_TIMEOUT_MS: '500' });
  });

  it('answers 503 problem+json at once when the agent is unreachable', async () => {
    const down = await s.apiWith({ AGENT_URL: `http://127.0.0.1:${await freePort()}` });
    const conversationId = await insertConversation(s.api.db, 'alice');
    const started = performance.now();
    const response = await down.app.inject({
      method: 'POST',
      url: `/v1/conversations/${conversationId}/messages`,
      headers: alice,
      payload: { content: 'anyone there?' },
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['retry-after']).toBeDefined();
    expect(await storedRoles(conversationId)).toEqual([]);
  });

  it('answers 502 when the connection to the agent breaks off before it answers', async () => {
    // Accepts the connection, reads the request, and hangs up without a word: undici's SocketError.
    const hangUp = createServer((socket) => socket.once('data', () => socket.destroy()));
    hangUp.listen(0, '127.0.0.1');
    await once(hangUp, 'listening');
    try {
      const { port } = hangUp.address() as { port: number };
      const broken = await s.apiWith({ AGENT_URL: `http://127.0.0.1:${port}` });
      const conversationId = await insertConversation(s.api.db, 'alice');
      for (const accept of ['application/json', 'text/event-stream']) {
        const response = await broken.app.inject({
          method: 'POST',
          url: `/v1/conversations/${conversationId}/messages`,
          headers: { ...alice, accept },
          payload: { content: 'hello?' },
        });
        expect(response.statusCode, accept).toBe(502);
        expect(response.json(), accept).toMatchObject({
          type: 'urn:keelson:problem:agent-failed',
          detail: expect.stringContaining('broke off'),
        });
      }
    } finally {
      hangUp.close();
    }
  });

  it('answers 502, not 401, when the agent refuses the api’s service token (a deployment error)', async () => {
    const mismatched = await s.apiWith({ SERVICE_AUTH_TOKEN: 'another-service-token-'.padEnd(48, 'x') });
    const conversationId = await insertConversation(s.api.db, 'alice');
    const response = await mismatched.app.inject({
      method: 'POST',
      url: `/v1/conversations/${conversationId}/messages`,
      headers: alice,
      payload: { content: 'hello' },
    });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ detail: expect.stringContaining('SERVICE_AUTH_TOKEN') });
  });

  it('answers 504 when the agent is too slow, and a retry with the same Idempotency-Key stores the message once', async () => {
    s.fake.setResponder(script({ hang: true }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const key = { 'idempotency-key': `retry-${conversationId}` };
    const before = s.fake.disconnects;
    const requests = s.fake.requests.length;

    for (const accept of ['application/json', 'text/event-stream']) {
      const started = performance.now();
      const response = await slow.app.inject({
        method: 'POST',
        url: `/v1/conversations/${conversationId}/messages`,
        headers: { ...alice, ...key, accept },
        payload: { content: 'are you there?' },
      });
      const elapsed = performance.now() - started;
      expect(response.statusCode, accept).toBe(504);
      // Our own deadline, not undici's coarse timers (which fire a 500 ms timeout after ~1 s).
      expect(elapsed, accept).toBeGreaterThanOrEqual(490);
      expect(elapsed, accept).toBeLessThan(900);
      expect(response.json(), accept).toMatchObject({ type: 'urn:keelson:problem:agent-timeout' });
    }
    // Giving up ended the request to the agent, not the run: the retry with the key joined the
    // same run (one model call), which is still waiting for the model. Cancelling it stops it.
    expect(s.fake.requests.length - requests).toBe(1);
    expect(s.fake.disconnects).toBe(before);
    const [run] = (
      await s.api.app.inject({ url: `/v1/conversations/${conversationId}/runs`, headers: alice })
    ).json<{ items: { id: string }[] }>().items;
    await s.api.app.inject({ method: 'POST', url: `/v1/runs/${run!.id}/cancel`, headers: alice });
    await expect.poll(() => s.fake.disconnects, { timeout: 5_000 }).toBe(before + 1);
    await expect
      .poll(
        async () =>
          (await s.api.app.inject({ url: `/v1/runs/${run!.id}`, headers: alice })).json<{ status: string }>()
            .status,
      )
      .toBe('cancelled');

    // A retry with the key after the cancelled run starts a new run for the same stored message.
    s.fake.setResponder(script({ text: 'Yes, here.' }));
    const retried = await send(conversationId, 'are you there?', key);
    expect(retried.status).toBe(200);
    const turn = (await retried.json()) as Turn;
    expect(turn.reply.content).toBe('Yes, here.');
    expect(turn.replayed).toBe(false);
    const again = (await (await send(conversationId, 'are you there?', key)).json()) as Turn;
    expect(again).toMatchObject({ replayed: true, userMessageId: turn.userMessageId });
    expect(await storedRoles(conversationId)).toEqual(['user', 'assistant']);
  });
});
