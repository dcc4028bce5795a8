import { messages, runEvents, runs, runToolCalls } from '@repo/db';
import { script } from '@repo/fake-llm';
import { waitFor } from '@repo/testing';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';
import { readEvents } from './support/sse.ts';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

let mcp: TestMcpServer;
let t: TestAgent;
let base: string;

beforeAll(async () => {
  mcp = await startTestMcpServer();
  t = await createTestAgent({
    // `add` waits for approval; `whoami` (not named) runs at once.
    servers: [{ name: 'tools', url: mcp.url, headers: {}, requireApproval: ['add'] }],
    env: { RUN_APPROVAL_TIMEOUT_MS: '600000' },
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await t?.close();
  await mcp?.stop();
});
afterEach(() => {
  t.fake.requests.length = 0;
  mcp.calls.length = 0;
});

const addThenAnswer = () =>
  script({ toolCalls: [{ name: 'tools__add', arguments: { a: 1, b: 2 } }] }, { text: 'Done.' });

async function pausedRun() {
  const conversationId = await t.conversation();
  const response = await fetch(`${base}/v1/conversations/${conversationId}/turns`, {
    method: 'POST',
    headers: { ...t.headers(), accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'add 1 and 2' }),
  });
  const runId = response.headers.get('x-keelson-run-id')!;
  const events = await readEvents(response);
  return { conversationId, runId, events };
}

const runRow = async (runId: string) => (await t.db.select().from(runs).where(eq(runs.id, runId)))[0]!;
const callRows = (runId: string) => t.db.select().from(runToolCalls).where(eq(runToolCalls.runId, runId));
const eventTypes = async (runId: string) =>
  (
    await t.db
      .select({ seq: runEvents.seq, type: runEvents.type })
      .from(runEvents)
      .where(eq(runEvents.runId, runId))
      .orderBy(asc(runEvents.seq))
  ).map((event) => `${event.seq}:${event.type}`);

/** What the api's POST /v1/runs/:id/approvals stores for a call. */
const decide = (runId: string, approved: boolean, reason?: string) =>
  t.db
    .update(runToolCalls)
    .set({ decision: approved ? 'approved' : 'denied', reason: reason ?? null, decidedAt: new Date() })
    .where(and(eq(runToolCalls.runId, runId), eq(runToolCalls.decision, 'pending')));

const continueRun = async (runId: string, at = base) => {
  const response = await fetch(`${at}/v1/runs/${runId}/continue`, { method: 'POST', headers: t.headers() });
  expect(response.status).toBe(202);
  return ((await response.json()) as { continued: boolean }).continued;
};

const settled = (runId: string) =>
  waitFor(async () => !['running', 'awaiting_approval'].includes((await runRow(runId)).status), {
    what: 'the run to end',
  });

describe('a tool that needs approval', () => {
  it('pauses the run awaiting_approval, without a lease, with the pending call stored and an approval-requested event', async () => {
    t.fake.setResponder(addThenAnswer());
    const { runId, events } = await pausedRun();

    expect(events.map((e) => e.event)).toEqual(['tool-call', 'step-finish', 'approval-requested']);
    const requested = events.at(-1)!.data as {
      approvals: {
        toolCallId: string;
        approvalId: string;
        toolName: string;
        input: unknown;
        expiresAt: string;
      }[];
    };
    expect(requested).toMatchObject({ runId, status: 'awaiting_approval' });
    expect(requested.approvals).toEqual([
      {
        toolCallId: expect.any(String),
        approvalId: expect.any(String),
        toolName: 'tools__add',
        input: { a: 1, b: 2 },
        expiresAt: expect.any(String),
      },
    ]);
    const expiresIn = Date.parse(requested.approvals[0]!.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(500_000);
    expect(expiresIn).toBeLessThanOrEqual(600_000);

    expect(await runRow(runId)).toMatchObject({
      status: 'awaiting_approval',
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: null,
      lastSeq: 3,
      steps: 1,
    });
    expect(await callRows(runId)).toEqual([
      expect.objectContaining({
        toolCallId: requested.approvals[0]!.toolCallId,
        approvalId: requested.approvals[0]!.approvalId,
        needsApproval: true,
        decision: 'pending',
        completedAt: null,
        idempotencyKey: `${runId}:${requested.approvals[0]!.toolCallId}`,
      }),
    ]);
    expect(mcp.calls).toEqual([]);
    // Nothing is continued while a call is pending.
    expect(await continueRun(runId)).toBe(false);
  });

  it('runs an approved call once, with its idempotency key, and the run succeeds with its events numbered on', async () => {
    t.fake.setResponder(addThenAnswer());
    const { runId, conversationId } = await pausedRun();
    await decide(runId, true);

    const [first, second] = await Promise.all([continueRun(runId), continueRun(runId)]);
    expect([first, second].sort()).toEqual([false, true]);
    await settled(runId);

    const row = await runRow(runId);
    expect(row).toMatchObject({ status: 'succeeded', steps: 2, leaseOwner: null });
    expect(row.finishedAt).toBeInstanceOf(Date);
    const [call] = await callRows(runId);
    expect(call).toMatchObject({ decision: 'approved', isError: false });
    expect(call!.completedAt).toBeInstanceOf(Date);
    expect(mcp.calls).toEqual([
      expect.objectContaining({ tool: 'add', idempotencyKey: `${runId}:${call!.toolCallId}` }),
    ]);
    expect(await eventTypes(runId)).toEqual([
      '1:tool-call',
      '2:step-finish',
      '3:approval-requested',
      '4:tool-result',
      '5:text-delta',
      '6:step-finish',
      '7:done',
    ]);
    // The model's second call got the tool's result; the conversation holds the whole turn.
    expect(t.fake.requests[1]!.messages.at(-1)).toMatchObject({ role: 'tool', content: '3' });
    const stored = await t.db
      .select({ role: messages.role })
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(asc(messages.seq));
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    // Continued once only: asking again does nothing.
    expect(await continueRun(runId)).toBe(false);
  });

  it('tells the model a denied call was denied, and the run succeeds without the tool running', async () => {
    t.fake.setResponder(addThenAnswer());
    const { runId } = await pausedRun();
    await decide(runId, false, 'not today');
    expect(await continueRun(runId)).toBe(true);
    await settled(runId);

    expect(await runRow(runId)).toMatchObject({ status: 'succeeded' });
    expect(mcp.calls).toEqual([]);
    const told = JSON.stringify(t.fake.requests[1]!.messages.at(-1));
    expect(told).toContain('not today');
    expect((await callRows(runId))[0]).toMatchObject({ decision: 'denied', isError: true });
  });

  it('is continued by a new agent process: the paused state is all in Postgres', async () => {
    t.fake.setResponder(addThenAnswer());
    const { runId } = await pausedRun();
    await t.restart();
    const restarted = await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = restarted;
    await decide(runId, true);
    expect(await continueRun(runId, restarted)).toBe(true);
    await settled(runId);
    expect(await runRow(runId)).toMatchObject({ status: 'succeeded' });
    expect(mcp.calls.filter((call) => call.tool === 'add')).toHaveLength(1);
  });

  it('answers a JSON turn that pauses with 202 and the calls that wait', async () => {
    t.fake.setResponder(addThenAnswer());
    const conversationId = await t.conversation();
    const response = await fetch(`${base}/v1/conversations/${conversationId}/turns`, {
      method: 'POST',
      headers: { ...t.headers(), accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'add 1 and 2' }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      status: 'awaiting_approval',
      approvals: [{ toolName: 'tools__add' }],
    });
  });
});
