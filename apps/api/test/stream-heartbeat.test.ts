import { script } from '@repo/fake-llm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConversation } from './support/fixtures.ts';
import { isComment, readStream, type ParsedEvent, type StreamItem } from './support/sse.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * A streamed message whose model stays silent longer than the api's SSE_HEARTBEAT_MS: the api
 * keeps its client's connection busy with heartbeat comments (an ALB closes one idle for 60 s
 * by default), and never writes one into the middle of an event it relays. The agent here keeps
 * its default heartbeat (15 s), so every comment the client sees is the api's own.
 */

const HEARTBEAT_MS = 100;
let s: TestStack;
let base: string;
let alice: { authorization: string };

beforeAll(async () => {
  s = await createTestStack();
  const quick = await s.apiWith({ SSE_HEARTBEAT_MS: String(HEARTBEAT_MS) });
  base = await quick.app.listen({ host: '127.0.0.1', port: 0 });
  alice = await quick.auth('alice');
});
afterAll(async () => {
  await s?.close();
});

async function stream(content: string): Promise<StreamItem[]> {
  const conversationId = await insertConversation(s.api.db, 'alice');
  const response = await fetch(`${base}/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { ...alice, accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return readStream(response);
}

const events = (items: StreamItem[]) => items.filter((item): item is ParsedEvent => !isComment(item));
const text = (items: StreamItem[]) =>
  events(items)
    .filter((e) => e.event === 'text-delta')
    .map((e) => (e.data as { text: string }).text)
    .join('');

describe('a streamed message whose model is silent longer than SSE_HEARTBEAT_MS', () => {
  it('answers 200 before the agent does, and sends heartbeats until the first event', async () => {
    s.fake.setResponder(script({ text: 'Thought about it.', delayMs: 10 * HEARTBEAT_MS }));
    const items = await stream('take your time');
    const firstEvent = items.findIndex((item) => !isComment(item));
    expect(firstEvent, 'heartbeats before the first event').toBeGreaterThanOrEqual(2);
    expect(items.slice(0, firstEvent).every((item) => isComment(item) && item.comment === 'heartbeat')).toBe(
      true,
    );
    expect(events(items).at(-1)?.event).toBe('done');
    expect(text(items)).toBe('Thought about it.');
  });

  it('sends heartbeats between the events it relays, never inside one', async () => {
    // Three text chunks (the fake cuts every 8 characters), each after a pause of five intervals.
    s.fake.setResponder(script({ text: 'pause...pause...pause...', chunkDelayMs: 5 * HEARTBEAT_MS }));
    const items = await stream('slowly, please');
    const deltas = items
      .map((item, index) => ({ item, index }))
      .filter(({ item }) => !isComment(item) && item.event === 'text-delta');
    expect(deltas.length).toBe(3);
    // Comments between consecutive deltas: the api's, during the model's pauses.
    for (const [i, delta] of deltas.slice(1).entries()) {
      const between = items.slice(deltas[i]!.index + 1, delta.index);
      expect(between.filter(isComment).length, `between delta ${i} and ${i + 1}`).toBeGreaterThanOrEqual(2);
    }
    // Every event parsed (a comment inside one would have broken its JSON), in order.
    expect(text(items)).toBe('pause...pause...pause...');
    expect(events(items).at(-1)?.event).toBe('done');
  });

  it('turns a refusal that comes after the 200 into the last event, with the agent’s problem', async () => {
    s.fake.setResponder(
      script({ error: { status: 500, message: 'upstream exploded' }, delayMs: 5 * HEARTBEAT_MS }),
    );
    const items = await stream('fail late');
    expect(items.filter(isComment).length).toBeGreaterThanOrEqual(1);
    const all = events(items);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      event: 'error',
      data: {
        status: 502,
        type: 'urn:keelson:problem:model-provider',
        // The agent's own words: a provider's error text never reaches the client.
        detail: expect.stringMatching(/^The model provider failed; /),
      },
    });
    expect(JSON.stringify(all[0])).not.toContain('upstream exploded');
  });

  it('still answers a quick refusal with its own status code', async () => {
    const response = await fetch(`${base}/v1/conversations/00000000-0000-4000-8000-000000000000/messages`, {
      method: 'POST',
      headers: { ...alice, accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'anyone?' }),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
