import { messages, runEvents, runs, runToolCalls, usageRecords } from '@repo/db';
import { script } from '@repo/fake-llm';
import { publishRunCancel } from '@repo/runs';
import { asc, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';
import { readEvents, type ParsedEvent } from './support/sse.ts';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

let mcp: TestMcpServer;
let t: TestAgent;
let base: string;

beforeAll(async () => {
  mcp = await startTestMcpServer();
  t = await createTestAgent({
    servers: [{ name: 'tools', url: mcp.url, headers: {} }],
    // Long tool calls: the cancel test stops one that would take 10 s.
    toolTimeoutMs: 20_000,
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await t?.close();
  await mcp?.stop();
});
// A scripted reply is picked by the request's index: each test starts the script again.
afterEach(() => {
  t.fake.requests.length = 0;
});

const slowText = (words: number, chunkDelayMs = 25) => ({ text: 'word '.repeat(words), chunkDelayMs });

function startTurn(
  conversationId: string,
  headers: Record<string, string> = {},
  accept = 'text/event-stream',
) {
  return fetch(`${base}/v1/conversations/${conversationId}/turns`, {
    method: 'POST',
    headers: { ...t.headers('alice', headers), accept, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'talk to me' }),
  });
}

const runRow = async (runId: string) => (await t.db.select().from(runs).where(eq(runs.id, runId)))[0]!;
const storedEvents = (runId: string) =>
  t.db
    .select({ seq: runEvents.seq, type: runEvents.type, data: runEvents.data })
    .from(runEvents)
    .where(eq(runEvents.runId, runId))
    .orderBy(asc(runEvents.seq));
const roles = async (conversationId: string) =>
  (
    await t.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(asc(messages.seq))
  ).map((m) => m.role);
const textOf = (events: ParsedEvent[]) =>
  events
    .filter((e) => e.event === 'text-delta')
    .map((e) => (e.data as { text: string }).text)
    .join('');

describe('a run', () => {
  it('is a row that holds a lease while it streams, stores its events in batches, and ends with usage and its reply', async () => {
    t.fake.setResponder(script(slowText(40)));
    const id = await t.conversation();
    const response = await startTurn(id);
    const runId = response.headers.get('x-keelson-run-id')!;

    let midway:
      { status: string; leaseOwner: string | null; leaseExpiresAt: Date | null; lastSeq: number } | undefined;
    const events = await readEvents(response, (event) => {
      if (event.event === 'text-delta' && Number(event.id) === 20)
        void runRow(runId).then((row) => (midway ??= row));
    });
    await expect.poll(() => midway).toBeDefined();
    expect(midway).toMatchObject({ status: 'running', leaseOwner: expect.stringMatching(/^agent-/) });
    expect(midway!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    // Half-way through, some events were stored already (flushed in a batch), not all of them.
    expect(midway!.lastSeq).toBeGreaterThan(0);
    expect(midway!.lastSeq).toBeLessThan(events.length);

    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const row = await runRow(runId);
    expect(row).toMatchObject({
      status: 'succeeded',
      steps: 1,
      finishReason: 'stop',
      leaseOwner: null,
      lastSeq: events.length,
      replyMessageId: (done.data as { reply: { id: string } }).reply.id,
    });
    expect(row.inputTokens).toBeGreaterThan(0);
    expect(row.finishedAt).toBeInstanceOf(Date);
    // The log is exactly what was streamed: same numbers, types and data.
    expect(await storedEvents(runId)).toEqual(
      events.map((e) => ({ seq: Number(e.id), type: e.event, data: e.data })),
    );
    expect(events.map((e) => e.event)).toContain('step-finish');
  });

  it('answers 409 naming the active run to a second message, and joins the same run for a retry with its key', async () => {
    t.fake.setResponder(script(slowText(30)));
    const id = await t.conversation();
    const first = await startTurn(id, { 'idempotency-key': 'join-me' });
    const runId = first.headers.get('x-keelson-run-id')!;

    const second = await startTurn(id, {}, 'application/json');
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ type: 'urn:keelson:problem:run-active', activeRunId: runId });

    const retry = await startTurn(id, { 'idempotency-key': 'join-me' });
    expect(retry.headers.get('x-keelson-run-id')).toBe(runId);
    const [original, joined] = await Promise.all([readEvents(first), readEvents(retry)]);
    expect(joined).toEqual(original);
    expect(t.fake.requests).toHaveLength(1);
    expect(await roles(id)).toEqual(['user', 'assistant']);

    // Once it ended, the key replays the answer; a new message starts a new run.
    const replay = await startTurn(id, { 'idempotency-key': 'join-me' }, 'application/json');
    expect(await replay.json()).toMatchObject({ replayed: true, runId });
    t.fake.setResponder(script({ text: 'Next.' }));
    const next = await startTurn(id, {}, 'application/json');
    expect(next.status).toBe(200);
    expect((await next.json()) as { runId: string }).not.toMatchObject({ runId });
  });

  it('stops within a second when cancelled on the cancel channel, stores the partial answer, and ends `cancelled`', async () => {
    t.fake.setResponder(script(slowText(400, 20)));
    const id = await t.conversation();
    const disconnectsBefore = t.fake.disconnects;
    const response = await startTurn(id);
    const runId = response.headers.get('x-keelson-run-id')!;
    let cancelledAt = 0;
    const events = await readEvents(response, (event) => {
      if (event.event === 'text-delta' && Number(event.id) === 5) {
        cancelledAt = performance.now();
        void publishRunCancel(t.redis, t.config.QUEUE_PREFIX, runId);
      }
    });
    const stoppedAfterMs = performance.now() - cancelledAt;
    expect(stoppedAfterMs).toBeLessThan(1_000);
    expect(t.fake.disconnects).toBe(disconnectsBefore + 1);

    const last = events.at(-1)!;
    expect(last.event).toBe('cancelled');
    const partial = textOf(events);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan('word '.repeat(400).length);
    expect(last.data).toMatchObject({
      runId,
      status: 'cancelled',
      reply: { role: 'assistant', content: partial },
    });
    expect(await runRow(runId)).toMatchObject({
      status: 'cancelled',
      errorCode: 'cancelled',
      lastSeq: Number(last.id),
    });
    expect(await roles(id)).toEqual(['user', 'assistant']);
  });

  it('stops a running tool as well: the MCP call is cancelled, nothing half-done is stored', async () => {
    t.fake.setResponder(
      script({ toolCalls: [{ name: 'tools__wait', arguments: { ms: 10_000 } }] }, { text: 'Waited.' }),
    );
    const id = await t.conversation();
    const cancelledBefore = mcp.cancelledWaits;
    const response = await startTurn(id);
    const runId = response.headers.get('x-keelson-run-id')!;
    const events = await readEvents(response, (event) => {
      if (event.event === 'tool-call') {
        // Once the call has reached the server.
        void expect
          .poll(() => mcp.calls.filter((call) => call.tool === 'wait').length)
          .toBeGreaterThan(0)
          .then(() => publishRunCancel(t.redis, t.config.QUEUE_PREFIX, runId));
      }
    });
    expect(events.at(-1)!.event).toBe('cancelled');
    await expect.poll(() => mcp.cancelledWaits).toBe(cancelledBefore + 1);
    // The tool call never got its result: it is not kept (the history must pair calls and results).
    expect(await roles(id)).toEqual(['user']);
    const [call] = await t.db.select().from(runToolCalls).where(eq(runToolCalls.runId, runId));
    expect(call).toMatchObject({
      toolName: 'tools__wait',
      isError: null,
      idempotencyKey: `${runId}:${call!.toolCallId}`,
    });
    // The model call that asked for the tool was made and is charged: a cancel loses no usage.
    const charged = await t.db.select().from(usageRecords).where(eq(usageRecords.runId, runId));
    expect(charged).toEqual([
      expect.objectContaining({ kind: 'chat', ownerId: 'alice', conversationId: id }),
    ]);
    expect(charged[0]!.inputTokens).toBeGreaterThan(0);
  });

  it('finds a cancel asked for in Postgres at its next flush, when the message on the channel was lost', async () => {
    t.fake.setResponder(script(slowText(400, 20)));
    const id = await t.conversation();
    const response = await startTurn(id);
    const runId = response.headers.get('x-keelson-run-id')!;
    const events = await readEvents(response, (event) => {
      if (event.event === 'text-delta' && Number(event.id) === 5) {
        void t.db.update(runs).set({ cancelRequestedAt: new Date() }).where(eq(runs.id, runId)).execute();
      }
    });
    expect(events.at(-1)!.event).toBe('cancelled');
    expect(await runRow(runId)).toMatchObject({ status: 'cancelled' });
  });

  it('stops writing when the run is no longer its own (ended elsewhere): its model call stops, nothing is stored', async () => {
    t.fake.setResponder(script(slowText(400, 20)));
    const id = await t.conversation();
    const disconnectsBefore = t.fake.disconnects;
    const response = await startTurn(id);
    const runId = response.headers.get('x-keelson-run-id')!;
    const events = await readEvents(response, (event) => {
      if (event.event === 'text-delta' && Number(event.id) === 5) {
        // What the reaper does to a run whose lease expired.
        void t.db
          .update(runs)
          .set({ status: 'failed', errorCode: 'agent-lost', leaseOwner: null })
          .where(eq(runs.id, runId))
          .execute();
      }
    });
    expect(events.some((e) => ['done', 'cancelled'].includes(e.event ?? ''))).toBe(false);
    await expect.poll(() => t.fake.disconnects).toBe(disconnectsBefore + 1);
    expect(await roles(id)).toEqual(['user']);
    expect(await runRow(runId)).toMatchObject({ status: 'failed', errorCode: 'agent-lost' });
  });

  it('sends every tool call with the idempotency key <run id>:<tool call id>, and records the call', async () => {
    t.fake.setResponder(
      script({ toolCalls: [{ name: 'tools__add', arguments: { a: 1, b: 2 } }] }, { text: '3.' }),
    );
    const id = await t.conversation();
    const response = await startTurn(id, {}, 'application/json');
    expect(response.status).toBe(200);
    const runId = response.headers.get('x-keelson-run-id')!;
    expect(((await response.json()) as { runId: string }).runId).toBe(runId);
    const [call] = await t.db.select().from(runToolCalls).where(eq(runToolCalls.runId, runId));
    expect(call).toMatchObject({ toolName: 'tools__add', input: { a: 1, b: 2 }, isError: false });
    expect(call!.completedAt).toBeInstanceOf(Date);
    expect(call!.idempotencyKey).toBe(`${runId}:${call!.toolCallId}`);
    expect(mcp.calls.at(-1)).toMatchObject({ tool: 'add', idempotencyKey: call!.idempotencyKey });
  });
});

describe('an agent that stops', () => {
  it('ends its unfinished runs as failed (agent-shutdown) with a final event, instead of leaving them running', async () => {
    const stopping = await createTestAgent({ env: { SHUTDOWN_TIMEOUT_MS: '1000' } });
    let closed = false;
    try {
      stopping.fake.setResponder(script(slowText(400, 20)));
      const url = await stopping.app.listen({ port: 0, host: '127.0.0.1' });
      const id = await stopping.conversation();
      const response = await fetch(`${url}/v1/conversations/${id}/turns`, {
        method: 'POST',
        headers: { ...stopping.headers(), accept: 'text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'talk' }),
      });
      const runId = response.headers.get('x-keelson-run-id')!;
      const reading = readEvents(response, (event) => {
        if (event.event === 'text-delta' && Number(event.id) === 3)
          void stopping.app.close().then(() => (closed = true));
      });
      const events = await reading;
      expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'agent-shutdown', runId } });
      await expect.poll(() => closed).toBe(true);
      const [row] = await stopping.db.select().from(runs).where(eq(runs.id, runId));
      expect(row).toMatchObject({ status: 'failed', errorCode: 'agent-shutdown', leaseOwner: null });
    } finally {
      await stopping.close().catch(() => {});
    }
  });
});
