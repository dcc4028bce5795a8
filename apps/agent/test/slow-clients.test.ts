import { script } from '@repo/fake-llm';
import { trickle } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from './support/sse.ts';
import { createTestAgent, TOKEN, type TestAgent } from './support/test-agent.ts';

/**
 * HTTP_REQUEST_TIMEOUT_MS bounds how long a request (headers and body) may take to arrive, never
 * how long its answer takes: a turn that runs far longer, as JSON or as a stream, is not cut.
 */
let t: TestAgent;
let base: string;
let port: number;

beforeAll(async () => {
  t = await createTestAgent({ env: { HTTP_REQUEST_TIMEOUT_MS: '1000' } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = Number(new URL(base).port);
});
afterAll(async () => {
  await t?.close();
});

describe('the agent and slow clients', () => {
  it('cuts a body trickled a byte at a time with 408', async () => {
    const id = await t.conversation();
    const body = JSON.stringify({ content: 'y'.repeat(40) });
    const head = [
      `POST /v1/conversations/${id}/turns HTTP/1.1`,
      'host: 127.0.0.1',
      `authorization: Bearer ${TOKEN}`,
      'x-keelson-owner: alice',
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
    ].join('\r\n');
    const outcome = await trickle({ port, head: `${head}\r\n\r\n`, trickled: body, everyMs: 100 });
    expect(outcome.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.trickledBytes).toBeLessThan(Buffer.byteLength(body));
  });

  it('lets a turn answer long after the request timeout, as JSON and as a stream', async () => {
    // The model waits 2.5 s before answering: 2.5 times the request timeout.
    t.fake.setResponder(script({ text: 'Slow, but here.', delayMs: 2_500 }));
    const id = await t.conversation();
    const json = await fetch(`${base}/v1/conversations/${id}/turns`, {
      method: 'POST',
      headers: { ...t.headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'take your time' }),
    });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { reply: { content: string } }).reply.content).toBe('Slow, but here.');

    const streamed = await fetch(`${base}/v1/conversations/${id}/turns`, {
      method: 'POST',
      headers: { ...t.headers(), accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'again' }),
    });
    const events = await readEvents(streamed);
    expect(events.at(-1)?.event).toBe('done');
  });

  it('takes the request timeout from its configuration, and allows 10 min of silence by default', () => {
    expect(t.app.initialConfig).toMatchObject({ requestTimeout: 1_000, connectionTimeout: 600_000 });
  });
});
