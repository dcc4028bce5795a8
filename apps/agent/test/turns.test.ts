import { createLogger } from '@repo/observability';
import { messages } from '@repo/db';
import { script, textOf } from '@repo/fake-llm';
import { asc, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

let mcp: TestMcpServer;
let t: TestAgent;

beforeAll(async () => {
  mcp = await startTestMcpServer();
  t = await createTestAgent({
    servers: [{ name: 'math', url: mcp.url, headers: {} }],
    env: { AGENT_MAX_STEPS: '3' },
  });
});
afterAll(async () => {
  await t?.close();
  await mcp?.stop();
});
afterEach(() => {
  t.fake.requests.length = 0;
});

const turn = (conversationId: string, content: string, headers: Record<string, string> = t.headers()) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/conversations/${conversationId}/turns`,
    headers,
    payload: { content },
  });

const stored = (conversationId: string) =>
  t.db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.seq));

describe('a turn', () => {
  it('answers, and stores the user message and the reply with token counts and usage', async () => {
    t.fake.setResponder(script({ text: 'Hello, Alice.' }));
    const id = await t.conversation();
    const response = await turn(id, 'Hi!');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      reply: { role: 'assistant', content: 'Hello, Alice.' },
      finishReason: 'stop',
      steps: 1,
      replayed: false,
    });
    expect(body.usage.inputTokens).toBeGreaterThan(0);

    const rows = await stored(id);
    expect(rows.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Hi!'],
      ['assistant', 'Hello, Alice.'],
    ]);
    expect(rows[0]!.tokenCount).toBeGreaterThan(0);
    expect(rows[1]!.outputTokens).toBeGreaterThan(0);
    // The system prompt goes as the system message; the history as the rest.
    expect(t.fake.requests[0]!.messages[0]).toMatchObject({ role: 'system' });
  });

  it('runs the tool loop over MCP: tool call, result, answer — all stored', async () => {
    t.fake.setResponder(
      script(
        { toolCalls: [{ name: 'math__add', arguments: { a: 2, b: 40 } }] },
        { text: 'The answer is 42.' },
      ),
    );
    const id = await t.conversation();
    const body = (await turn(id, 'What is 2 + 40?')).json();
    expect(body.reply.content).toBe('The answer is 42.');
    expect(body.steps).toBe(2);
    expect(mcp.calls.at(-1)).toMatchObject({ tool: 'add' });
    // The model saw the tool's real result.
    expect(textOf(t.fake.requests[1]!.messages.at(-1))).toBe('42');

    const rows = await stored(id);
    expect(rows.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(rows[1]!.toolCalls).toEqual([
      { toolCallId: expect.any(String), toolName: 'math__add', input: { a: 2, b: 40 } },
    ]);
    expect(rows[2]!.toolResults).toEqual([
      { toolCallId: rows[1]!.toolCalls![0]!.toolCallId, toolName: 'math__add', output: '42' },
    ]);

    // The next turn sends the stored tool exchange back in the wire format.
    t.fake.setResponder(script({ text: 'Yes.' }));
    await turn(id, 'Sure?');
    const sent = t.fake.requests.at(-1)!.messages.map((m) => m.role);
    expect(sent).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
  });

  it('stops a model that calls tools forever at the step limit, and still answers', async () => {
    t.fake.setResponder(script({ toolCalls: [{ name: 'math__add', arguments: { a: 1, b: 1 } }] }));
    const id = await t.conversation();
    const response = await turn(id, 'Loop forever');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ steps: 3, finishReason: 'tool-calls' });
    expect(t.fake.requests).toHaveLength(3);
  });

  it('answers a tool that fails with an error result the model sees, and goes on', async () => {
    t.fake.setResponder(
      script(
        { toolCalls: [{ name: 'math__add', arguments: { a: 'two' } }] },
        { text: 'Sorry, that failed.' },
      ),
    );
    const id = await t.conversation();
    const body = (await turn(id, 'add badly')).json();
    expect(body.reply.content).toBe('Sorry, that failed.');
    const rows = await stored(id);
    expect(rows[2]!.toolResults![0]).toMatchObject({ isError: true });
  });

  it('stores the user message exactly once per idempotency key and replays the reply', async () => {
    t.fake.setResponder(script({ text: 'First answer.' }, { text: 'Second answer.' }));
    const id = await t.conversation();
    const headers = t.headers('alice', { 'idempotency-key': 'msg-1' });
    const first = (await turn(id, 'Once', headers)).json();
    const again = (await turn(id, 'Once', headers)).json();
    expect(again).toMatchObject({ replayed: true, reply: { id: first.reply.id, content: 'First answer.' } });
    expect(t.fake.requests).toHaveLength(1);
    expect((await stored(id)).filter((m) => m.role === 'user')).toHaveLength(1);
  });
});

describe('failures', () => {
  it('retries a failing provider, then answers 502; the user message is kept once, no reply stored', async () => {
    const flaky = await createTestAgent({ env: { AGENT_MODEL_RETRIES: '1' } });
    try {
      flaky.fake.setResponder(script({ error: { status: 503, message: 'overloaded' } }));
      const id = await flaky.conversation();
      const headers = flaky.headers('alice', { 'idempotency-key': 'k-502' });
      const response = await flaky.app.inject({
        method: 'POST',
        url: `/v1/conversations/${id}/turns`,
        headers,
        payload: { content: 'hi' },
      });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toMatchObject({ type: 'urn:keelson:problem:model-provider', retried: 1 });
      expect(flaky.fake.requests).toHaveLength(2);

      // Retrying the request once the provider is back answers it without a second user message.
      flaky.fake.setResponder(script({ text: 'Back again.' }));
      const retry = await flaky.app.inject({
        method: 'POST',
        url: `/v1/conversations/${id}/turns`,
        headers,
        payload: { content: 'hi' },
      });
      expect(retry.json()).toMatchObject({ reply: { content: 'Back again.' }, replayed: false });
      // The retry's context holds the stored message once (the run's start reads it, not adds it).
      const context = flaky.fake.requests.at(-1)!.messages.filter((m) => m.role === 'user');
      expect(context.map((m) => textOf(m))).toEqual(['hi']);
      const rows = await flaky.db
        .select()
        .from(messages)
        .where(eq(messages.conversationId, id))
        .orderBy(asc(messages.seq));
      expect(rows.map((m) => m.role)).toEqual(['user', 'assistant']);
    } finally {
      await flaky.close();
    }
  }, 20_000);

  it("never passes the provider's error text on: a stable detail and the request id; the log keeps the cause", async () => {
    const lines: string[] = [];
    const logged = createLogger(
      { service: 'agent-test', level: 'info' },
      { write: (line: string) => lines.push(line) },
    );
    const failing = await createTestAgent({ logger: logged });
    try {
      // What OpenAI answers to a wrong key: a fragment of the key in the message.
      const leak = 'Incorrect API key provided: sk-proj-Xy12AbCdEf3456. Find your key on the dashboard.';
      failing.fake.setResponder(script({ error: { status: 401, message: leak } }));
      const id = await failing.conversation();
      const response = await failing.app.inject({
        method: 'POST',
        url: `/v1/conversations/${id}/turns`,
        headers: failing.headers('alice', { 'x-request-id': 'turn-with-a-bad-key' }),
        payload: { content: 'my private diary entry' },
      });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toEqual({
        type: 'urn:keelson:problem:model-provider',
        title: 'Bad Gateway',
        status: 502,
        detail:
          'The model provider failed; nothing was stored for this reply. Retry later, or quote the request id.',
        instance: `/v1/conversations/${id}/turns`,
        retried: 0,
        requestId: 'turn-with-a-bad-key',
        // A run's failure names the run and its stable code.
        runId: response.headers['x-keelson-run-id'],
        code: 'model-failed',
      });
      expect(response.body).not.toContain('sk-proj');

      const log = lines.join('');
      expect(log).toContain('turn failed');
      expect(log).toMatch(/"statusCode":401/);
      for (const secret of [
        'sk-proj-Xy12',
        'my private diary',
        'OPENAI_COMPATIBLE',
        failing.config.AGENT_SYSTEM_PROMPT,
      ]) {
        expect(log, secret).not.toContain(secret);
      }
    } finally {
      await failing.close();
    }
  });

  it('answers 504 when the model does not answer in time, and stores no reply', async () => {
    const slow = await createTestAgent({ env: { AGENT_MODEL_TIMEOUT_MS: '1000' } });
    try {
      slow.fake.setResponder(script({ hang: true }));
      const id = await slow.conversation();
      const response = await slow.app.inject({
        method: 'POST',
        url: `/v1/conversations/${id}/turns`,
        headers: slow.headers(),
        payload: { content: 'hi' },
      });
      expect(response.statusCode).toBe(504);
      const rows = await slow.db.select().from(messages).where(eq(messages.conversationId, id));
      expect(rows.map((m) => m.role)).toEqual(['user']);
    } finally {
      await slow.close();
    }
  });

  it('answers 503 naming the variables to set when no provider is configured', async () => {
    const bare = await createTestAgent({ withModel: false });
    try {
      const id = await bare.conversation();
      const response = await bare.app.inject({
        method: 'POST',
        url: `/v1/conversations/${id}/turns`,
        headers: bare.headers(),
        payload: { content: 'hi' },
      });
      expect(response.statusCode).toBe(503);
      expect(response.json().detail).toMatch(
        /AGENT_MODEL=<provider>:<model>.*OPENAI_API_KEY.*OPENAI_COMPATIBLE_BASE_URL/,
      );
      const ready = await bare.app.inject('/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({
        model: { configured: false, hint: expect.stringMatching(/AGENT_MODEL/) },
      });
    } finally {
      await bare.close();
    }
  });
});

describe('service authentication', () => {
  it('refuses a missing or wrong token with 401 and a call that names no owner with 400', async () => {
    const id = await t.conversation();
    expect((await turn(id, 'x', {})).statusCode).toBe(401);
    expect(
      (await turn(id, 'x', { authorization: 'Bearer wrong', 'x-keelson-owner': 'alice' })).statusCode,
    ).toBe(401);
    expect((await turn(id, 'x', { authorization: t.headers().authorization! })).statusCode).toBe(400);
  });

  it("answers 404 for another owner's conversation", async () => {
    const id = await t.conversation('bob');
    expect((await turn(id, 'x', t.headers('alice'))).statusCode).toBe(404);
  });

  it('leaves the probes open and reports the model and MCP servers in /ready', async () => {
    const ready = await t.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      database: { ok: true },
      model: { configured: true, provider: 'openai-compatible', model: 'fake-model' },
      mcpServers: [{ name: 'math', available: true }],
    });
    expect((await t.app.inject('/metrics')).body).toMatch(
      /^agent_turns_total\{outcome="ok",service="agent"\} [1-9]/m,
    );
  });
});
