import { runs, runToolCalls, tasks } from '@repo/db';
import { script } from '@repo/fake-llm';
import { waitFor } from '@repo/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertConversation } from './support/fixtures.ts';
import { readEvents } from './support/sse.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * Tool approval through the api, with the real agent and the api's own create_task (a write
 * tool: it waits for approval by default), on two api replicas sharing Postgres and Redis.
 */

let s: TestStack;
let otherUrl: string;
let alice: { authorization: string };
let bob: { authorization: string };

beforeAll(async () => {
  s = await createTestStack();
  otherUrl = await s.replicaUrl();
  alice = await s.api.auth('alice');
  bob = await s.api.auth('bob');
});
afterAll(async () => {
  await s?.close();
});
afterEach(() => {
  s.fake.requests.length = 0;
});

interface Approval {
  toolCallId: string;
  approvalId: string;
  toolName: string;
  input: unknown;
  decision: string;
  expiresAt: string;
}

/** A run whose model asks create_task to queue a message in the same conversation. */
async function pausedRun() {
  const conversationId = await insertConversation(s.api.db, 'alice');
  s.fake.setResponder(
    script(
      { toolCalls: [{ name: 'create_task', arguments: { conversationId, content: 'later, please' } }] },
      { text: 'All set.' },
    ),
  );
  const response = await fetch(`${s.apiUrl}/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { ...alice, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ content: 'queue something' }),
  });
  expect(response.status).toBe(202);
  const run = (await response.json()) as { id: string; status: string; approvals: Approval[] };
  return { conversationId, run };
}

const decide = (runId: string, decisions: unknown, base = s.apiUrl, who = alice) =>
  fetch(`${base}/v1/runs/${runId}/approvals`, {
    method: 'POST',
    headers: { ...who, 'content-type': 'application/json' },
    body: JSON.stringify({ decisions }),
  });

const runStatus = async (runId: string) =>
  (await s.api.db.select({ status: runs.status }).from(runs).where(eq(runs.id, runId)))[0]!.status;
const settled = (runId: string) =>
  waitFor(async () => ((await runStatus(runId)) === 'succeeded' ? true : undefined), {
    what: 'the run to succeed',
  });
const tasksOf = (conversationId: string) =>
  s.api.db
    .select()
    .from(tasks)
    .where(sql`${tasks.input}->>'conversationId' = ${conversationId}`);

describe('a write tool of the api', () => {
  it('pauses the run: JSON 202 with the pending call, shown by GET /v1/runs/:id', async () => {
    const { run, conversationId } = await pausedRun();
    expect(run.status).toBe('awaiting_approval');
    expect(run.approvals).toEqual([
      expect.objectContaining({
        toolName: 'create_task',
        input: { conversationId, content: 'later, please' },
        decision: 'pending',
        approvalId: expect.any(String),
        expiresAt: expect.any(String),
      }),
    ]);
    const read = await s.api.app.inject({ url: `/v1/runs/${run.id}`, headers: alice });
    expect(read.json()).toMatchObject({ status: 'awaiting_approval', approvals: run.approvals });
    // Another owner sees no such run.
    expect((await s.api.app.inject({ url: `/v1/runs/${run.id}`, headers: bob })).statusCode).toBe(404);
    expect(await tasksOf(conversationId)).toEqual([]);
    // The conversation is held by the waiting run.
    const second = await fetch(`${s.apiUrl}/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ content: 'and another' }),
    });
    expect(second.status).toBe(409);
  });

  it('streams approval-requested as the last event of a paused turn', async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    s.fake.setResponder(
      script({ toolCalls: [{ name: 'create_task', arguments: { conversationId, content: 'x' } }] }),
    );
    const response = await fetch(`${s.apiUrl}/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'queue something' }),
    });
    const events = await readEvents(response);
    expect(events.map((e) => e.event)).toEqual(['tool-call', 'step-finish', 'approval-requested']);
    expect(events.at(-1)!.data).toMatchObject({
      status: 'awaiting_approval',
      approvals: [{ toolName: 'create_task' }],
    });
  });

  it('refuses invalid decisions with precise problems, and stores nothing', async () => {
    const { run } = await pausedRun();
    const call = run.approvals[0]!.toolCallId;
    const cases: [unknown, number, string | undefined][] = [
      [[], 400, undefined],
      [[{ toolCallId: call }], 400, undefined],
      [
        [
          { toolCallId: call, approved: true },
          { toolCallId: call, approved: false },
        ],
        400,
        undefined,
      ],
      [[{ toolCallId: 'no-such-call', approved: true }], 400, 'urn:keelson:problem:unknown-tool-call'],
    ];
    for (const [decisions, status, type] of cases) {
      const response = await decide(run.id, decisions);
      expect(response.status, JSON.stringify(decisions)).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      if (type) expect(((await response.json()) as { type: string }).type).toBe(type);
    }
    expect((await decide(run.id, [{ toolCallId: call, approved: true }], s.apiUrl, bob)).status).toBe(404);
    expect(
      (await decide('00000000-0000-4000-8000-000000000000', [{ toolCallId: call, approved: true }])).status,
    ).toBe(404);
    const [row] = await s.api.db.select().from(runToolCalls).where(eq(runToolCalls.runId, run.id));
    expect(row).toMatchObject({ decision: 'pending', decidedAt: null });
  });

  it('runs an approved call once (decided on another replica) and the run succeeds; a late decision is 409', async () => {
    const { run, conversationId } = await pausedRun();
    const call = run.approvals[0]!.toolCallId;
    const response = await decide(run.id, [{ toolCallId: call, approved: true }], otherUrl);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { approvals: Approval[] }).approvals[0]).toMatchObject({
      decision: 'approved',
    });
    await settled(run.id);
    const queued = await tasksOf(conversationId);
    expect(queued).toHaveLength(1);
    // The model was told the task it queued.
    expect(JSON.stringify(s.fake.requests[1]!.messages.at(-1))).toContain(queued[0]!.id);

    const late = await decide(run.id, [{ toolCallId: call, approved: false }]);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({
      type: 'urn:keelson:problem:run-not-awaiting-approval',
      runStatus: 'succeeded',
    });
  });

  it('tells the model a denied call was denied, with the reason, and nothing is queued', async () => {
    const { run, conversationId } = await pausedRun();
    const response = await decide(run.id, [
      { toolCallId: run.approvals[0]!.toolCallId, approved: false, reason: 'not this one' },
    ]);
    expect(response.status).toBe(200);
    await settled(run.id);
    expect(await tasksOf(conversationId)).toEqual([]);
    expect(JSON.stringify(s.fake.requests[1]!.messages.at(-1))).toContain('not this one');
  });

  it('cancelling a waiting run ends it at once and expires its pending call; the next turn tells the model it never ran', async () => {
    const { run, conversationId } = await pausedRun();
    const call = run.approvals[0]!.toolCallId;
    const cancelled = await fetch(`${otherUrl}/v1/runs/${run.id}/cancel`, { method: 'POST', headers: alice });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    const read = await s.api.app.inject({ url: `/v1/runs/${run.id}`, headers: alice });
    expect(read.json()).toMatchObject({
      status: 'cancelled',
      approvals: [{ toolCallId: call, decision: 'expired' }],
    });
    const late = await decide(run.id, [{ toolCallId: call, approved: true }]);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ runStatus: 'cancelled' });
    expect(await tasksOf(conversationId)).toEqual([]);

    // The conversation is free again; its history answers the call that never ran.
    s.fake.requests.length = 0;
    s.fake.setResponder(script({ text: 'Nothing was queued.' }));
    const next = await fetch(`${s.apiUrl}/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ content: 'did it work?' }),
    });
    expect(next.status).toBe(200);
    const history = s.fake.requests[0]!.messages;
    expect(history.at(-2)).toMatchObject({
      role: 'tool',
      tool_call_id: call,
      content: 'The call never ran: it waited for an approval that did not come (expired or cancelled).',
    });
  });

  it('lets one of two replicas deciding at once win; the other is told it was decided', async () => {
    const { run } = await pausedRun();
    const call = run.approvals[0]!.toolCallId;
    const answers = await Promise.all([
      decide(run.id, [{ toolCallId: call, approved: true }], s.apiUrl),
      decide(run.id, [{ toolCallId: call, approved: false }], otherUrl),
    ]);
    const statuses = answers.map((answer) => answer.status).sort();
    // The loser finds the call decided (409 approval-decided), or, if the winner's agent already
    // took the run back, a run no longer awaiting approval (409 too).
    expect(statuses).toEqual([200, 409]);
    const [row] = await s.api.db.select().from(runToolCalls).where(eq(runToolCalls.runId, run.id));
    const winner = answers.findIndex((answer) => answer.status === 200);
    expect(row!.decision).toBe(winner === 0 ? 'approved' : 'denied');
    await settled(run.id);
  });
});
