import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, isStepCount, jsonSchema, RetryError, streamText, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { ruleBasedResponder, script, startFakeLlm, type FakeLlm } from '../src/index.ts';

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const modelFor = (server: FakeLlm) =>
  createOpenAI({ apiKey: 'test', baseURL: server.url }).chat('fake-model');

const weather = tool({
  description: 'Weather for a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

describe('the fake model, driven by the real AI SDK OpenAI provider', () => {
  it('answers text and reports usage', async () => {
    fake = await startFakeLlm({ responder: script({ text: 'Hello there.' }) });
    const result = await generateText({ model: modelFor(fake), prompt: 'Hi' });
    expect(result.text).toBe('Hello there.');
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(fake.requests[0]?.messages.at(-1)).toMatchObject({ role: 'user', content: 'Hi' });
  });

  it('drives a tool loop: tool call, tool result sent back, final answer', async () => {
    fake = await startFakeLlm({
      responder: script(
        { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] },
        { text: 'It is 21 °C.' },
      ),
    });
    const result = await generateText({
      model: modelFor(fake),
      prompt: 'Weather in Oslo?',
      tools: { weather },
      stopWhen: isStepCount(3),
    });
    expect(result.text).toBe('It is 21 °C.');
    expect(result.steps).toHaveLength(2);
    expect(result.toolResults[0]).toMatchObject({
      toolName: 'weather',
      output: { city: 'Oslo', celsius: 21 },
    });
    // The second request carries the tool result in the wire format.
    expect(fake.requests[1]?.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: '{"city":"Oslo","celsius":21}',
    });
    expect(fake.requests[0]?.tools?.[0]?.function.name).toBe('weather');
  });

  it('streams text deltas and tool calls', async () => {
    fake = await startFakeLlm({
      responder: script(
        { toolCalls: [{ name: 'weather', arguments: { city: 'Rome' } }] },
        { text: 'Sunny in Rome today.' },
      ),
    });
    const result = streamText({
      model: modelFor(fake),
      prompt: 'Rome?',
      tools: { weather },
      stopWhen: isStepCount(3),
    });
    const types: string[] = [];
    let text = '';
    for await (const part of result.stream) {
      types.push(part.type);
      if (part.type === 'text-delta') text += part.text;
    }
    expect(text).toBe('Sunny in Rome today.');
    expect(types.filter((t) => t === 'text-delta').length).toBeGreaterThan(1);
    expect(types).toContain('tool-call');
    expect(types).toContain('tool-result');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
    expect(fake.requests.every((r) => r.stream)).toBe(true);
  });

  it('returns error statuses the provider retries (5xx) or surfaces (4xx)', async () => {
    fake = await startFakeLlm({ responder: script({ error: { status: 503, message: 'overloaded' } }) });
    const retried = generateText({ model: modelFor(fake), prompt: 'x', maxRetries: 1 });
    await expect(retried).rejects.toSatisfy((error) => RetryError.isInstance(error));
    expect(fake.requests).toHaveLength(2);

    fake.setResponder(script({ error: { status: 400, message: 'bad request' } }));
    await expect(generateText({ model: modelFor(fake), prompt: 'x' })).rejects.toSatisfy(
      (error) => APICallError.isInstance(error) && error.statusCode === 400,
    );
  }, 20_000);

  it('streams slowly when asked to, and reports per marker how many requests came and were abandoned', async () => {
    fake = await startFakeLlm();
    const started = performance.now();
    const result = streamText({
      model: modelFor(fake),
      prompt: 'stream slowly every 50 ms: one two three four [m-1]',
    });
    const pieces: string[] = [];
    for await (const text of result.textStream) pieces.push(text);
    expect(pieces.join('')).toBe('one two three four [m-1]');
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    // 8 characters a piece, 50 ms apart.
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);

    const abandoned = new AbortController();
    const cut = streamText({
      model: modelFor(fake),
      prompt: 'stream slowly: a long answer that will not be read to its end [m-2]',
      abortSignal: abandoned.signal,
      maxRetries: 0,
    });
    // Aborted after the first piece (the SDK ends the stream with an abort part).
    for await (const _text of cut.textStream) abandoned.abort();
    const stats = async (marker: string) =>
      (await fetch(`${fake!.url}/fake/stats?contains=${encodeURIComponent(marker)}`)).json();
    expect(await stats('[m-1]')).toEqual({ requests: 1, disconnects: 0 });
    await expect.poll(() => stats('[m-2]')).toEqual({ requests: 1, disconnects: 1 });
    expect(await stats('[m-3]')).toEqual({ requests: 0, disconnects: 0 });
  });

  it('hangs on request, so client timeouts and aborts can be tested, and counts the disconnect', async () => {
    fake = await startFakeLlm({ responder: script({ hang: true }) });
    await expect(
      generateText({
        model: modelFor(fake),
        prompt: 'x',
        abortSignal: AbortSignal.timeout(200),
        maxRetries: 0,
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect.poll(() => fake!.disconnects).toBe(1);
  });
});

describe('the rule-based responder (the container default)', () => {
  const tools = [{ type: 'function' as const, function: { name: 'search_documents' } }];

  it('echoes, calls search_documents when asked to search, and quotes tool results', () => {
    expect(ruleBasedResponder({ model: 'm', messages: [{ role: 'user', content: 'hello' }] }, 0)).toEqual({
      text: 'Echo: hello',
    });
    expect(
      ruleBasedResponder(
        { model: 'm', tools, messages: [{ role: 'user', content: 'Please search: pgvector' }] },
        0,
      ),
    ).toEqual({ toolCalls: [{ name: 'search_documents', arguments: { query: 'pgvector', limit: 3 } }] });
    expect(
      ruleBasedResponder(
        {
          model: 'm',
          messages: [
            { role: 'user', content: 'search x' },
            { role: 'tool', content: 'found it' },
          ],
        },
        1,
      ),
    ).toEqual({ text: 'Here is what I found: found it' });
    expect(
      ruleBasedResponder(
        { model: 'm', messages: [{ role: 'user', content: 'stream slowly: take\nyour time' }] },
        0,
      ),
    ).toEqual({ text: 'take\nyour time', chunkDelayMs: 100 });
    expect(
      ruleBasedResponder(
        { model: 'm', messages: [{ role: 'user', content: 'Stream slowly every 20 ms: quick' }] },
        0,
      ),
    ).toEqual({ text: 'quick', chunkDelayMs: 20 });
  });

  it('calls create_task when asked to queue a task in a conversation, only if the tool is offered', () => {
    const conversationId = '0b6f3c9e-5d1a-4c2e-9f3b-7a8d2e4c1f60';
    // search_documents offered too: the text to queue mentions searching, and the queue rule wins.
    const both = ['create_task', 'search_documents'].map((name) => ({
      type: 'function' as const,
      function: { name },
    }));
    const asked = (content: string, offered = both) =>
      ruleBasedResponder({ model: 'm', tools: offered, messages: [{ role: 'user', content }] }, 0);
    expect(asked(`Queue a task in conversation ${conversationId}: search the archive, later `)).toEqual({
      toolCalls: [
        { name: 'create_task', arguments: { conversationId, content: 'search the archive, later' } },
      ],
    });
    // Without the tool (or without a conversation id, or a text), the other rules answer.
    expect(asked(`queue a task in conversation ${conversationId}: x`, both.slice(1))).toEqual({
      text: `Echo: queue a task in conversation ${conversationId}: x`,
    });
    expect(asked('queue a task in conversation nowhere: x')).toEqual({
      text: 'Echo: queue a task in conversation nowhere: x',
    });
    expect(asked(`queue a task in conversation ${conversationId}:   `)).toEqual({
      text: `Echo: queue a task in conversation ${conversationId}:   `,
    });
  });
});
