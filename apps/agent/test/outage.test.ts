import { runs } from '@repo/db';
import { script } from '@repo/fake-llm';
import { eq } from 'drizzle-orm';
import { createTcpProxy, type TcpProxy } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readEvents } from './support/sse.ts';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

let proxy: TcpProxy;
let t: TestAgent;
let base: string;

beforeAll(async () => {
  // Only the agent's pool goes through the proxy, so the test can take "the database" away.
  proxy = await createTcpProxy(inject('databaseUrl'));
  t = await createTestAgent({ poolUrl: (url) => proxy.url(url) });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await proxy?.restore().catch(() => {});
  await t?.close();
  await proxy?.close();
});

const turn = (conversationId: string, accept: string) =>
  fetch(`${base}/v1/conversations/${conversationId}/turns`, {
    method: 'POST',
    headers: { ...t.headers(), accept, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'talk for a while' }),
  });

describe('the database going away during a turn', () => {
  it('ends a streamed turn with a 503 problem event, a JSON turn with a 503, records the failed run and serves again once it is back', async () => {
    const id = await t.conversation();
    t.fake.setResponder(script({ text: 'word '.repeat(60), chunkDelayMs: 10 }));

    // The stream has answered 200 already when the database goes; storing the reply fails.
    const streamed = await turn(id, 'text/event-stream');
    expect(streamed.status).toBe(200);
    let cut: Promise<void> | undefined;
    const events = await readEvents(streamed, (event) => {
      if (event.event === 'text-delta') cut ??= proxy.cut();
    });
    await cut;
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({
      status: 503,
      detail: 'A service this turn depends on is unavailable. Retry later.',
    });

    // Before streaming starts, the same outage is a plain 503 with Retry-After.
    const plain = await turn(id, 'application/json');
    expect(plain.status).toBe(503);
    expect(plain.headers.get('retry-after')).toBe('5');
    expect(plain.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    // Once it is back, the run that could not store its end records it as failed (until then it
    // holds the conversation: one active run per conversation), and the next message is served.
    await proxy.restore();
    await expect
      .poll(
        async () =>
          (await t.db.select({ status: runs.status }).from(runs).where(eq(runs.conversationId, id)))[0]
            ?.status,
        {
          timeout: 5_000,
        },
      )
      .toBe('failed');
    t.fake.setResponder(script({ text: 'Back again.' }));
    const again = await turn(id, 'application/json');
    expect(again.status).toBe(200);
    expect(((await again.json()) as { reply: { content: string } }).reply.content).toBe('Back again.');
  });
});
