import { messages, ownerQuotas, runEvents, runs, usageRecords } from '@repo/db';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

let mcp: TestMcpServer;
let t: TestAgent;

beforeAll(async () => {
  mcp = await startTestMcpServer();
  t = await createTestAgent({ servers: [{ name: 'math', url: mcp.url, headers: {} }] });
});
// The fake numbers its responses by the requests it holds: each test starts from none.
beforeEach(() => {
  t.fake.requests.length = 0;
});
afterAll(async () => {
  await t?.close();
  await mcp?.stop();
});

const turn = (conversationId: string, ownerId: string) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/conversations/${conversationId}/turns`,
    headers: t.headers(ownerId),
    payload: { content: 'What is 2 + 40?' },
  });

/** Sets the owner's monthly token limit (an operator's override, as `admin quota set` writes it). */
const setMonthlyTokens = (ownerId: string, maxMonthlyTokens: number) =>
  t.db
    .insert(ownerQuotas)
    .values({ ownerId, maxMonthlyTokens })
    .onConflictDoUpdate({ target: ownerQuotas.ownerId, set: { maxMonthlyTokens } });

describe('a run whose owner runs out of monthly tokens', () => {
  it('finishes the model call that spent them and its tool, then stops `budget-exhausted`, keeping what it produced', async () => {
    const owner = 'budget-owner';
    const id = await t.conversation(owner);
    // The run is admitted under the default; while its first model call is under way the
    // operator lowers the owner's month to 1 token, which that call's usage spends.
    t.fake.setResponder(async (_request, index) => {
      if (index === 0) {
        await setMonthlyTokens(owner, 1);
        return { toolCalls: [{ name: 'math__add', arguments: { a: 2, b: 40 } }] };
      }
      return { text: 'The answer is 42.' };
    });

    const response = await turn(id, owner);
    expect(response.statusCode).toBe(429);
    expect(response.json()).toMatchObject({
      type: 'urn:keelson:problem:quota-exceeded',
      quota: 'monthly-tokens',
      limit: 1,
      code: 'budget-exhausted',
    });
    // No second model call was made.
    expect(t.fake.requests).toHaveLength(1);

    const [run] = await t.db.select().from(runs).where(eq(runs.conversationId, id));
    expect(run).toMatchObject({ status: 'failed', errorCode: 'budget-exhausted', steps: 1 });
    // The call's tool call and the tool's result are stored, after the user's message.
    const stored = await t.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, id))
      .orderBy(asc(messages.seq));
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(stored[1]!.toolCalls).toMatchObject([{ toolName: 'math__add' }]);
    expect(stored[2]!.toolResults).toEqual([
      { toolCallId: stored[1]!.toolCalls![0]!.toolCallId, toolName: 'math__add', output: '42' },
    ]);
    // The call is charged, and followers see the end as the run's final `error` event.
    expect(await t.db.$count(usageRecords, eq(usageRecords.runId, run!.id))).toBe(1);
    const events = await t.db
      .select()
      .from(runEvents)
      .where(eq(runEvents.runId, run!.id))
      .orderBy(asc(runEvents.seq));
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      data: { code: 'budget-exhausted', quota: 'monthly-tokens', status: 429 },
    });
    expect(events.map((e) => e.type)).toContain('tool-result');

    // The next turn is refused at its start, naming the quota and what is used.
    t.fake.requests.length = 0;
    const refused = await turn(id, owner);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ quota: 'monthly-tokens', limit: 1 });
    expect(refused.json().used).toBeGreaterThan(0);
    expect(t.fake.requests).toHaveLength(0);
  });

  it('ends a run at its step limit as usual even when its last step spent the month: the limit stopped it, not the budget', async () => {
    const owner = 'budget-last-step';
    const id = await t.conversation(owner);
    const lastStep = t.config.AGENT_MAX_STEPS - 1;
    // Every step asks for a tool; the last one allowed spends the month (lowered to 1 token).
    t.fake.setResponder(async (_request, index) => {
      if (index === lastStep) await setMonthlyTokens(owner, 1);
      return { toolCalls: [{ name: 'math__add', arguments: { a: 2, b: index } }] };
    });
    const response = await turn(id, owner);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ steps: t.config.AGENT_MAX_STEPS });
    expect(t.fake.requests).toHaveLength(t.config.AGENT_MAX_STEPS);
    const [run] = await t.db.select().from(runs).where(eq(runs.conversationId, id));
    expect(run).toMatchObject({ status: 'succeeded', errorCode: null, steps: t.config.AGENT_MAX_STEPS });
  });

  it('lets a multi-step turn go on between its steps while the month has room', async () => {
    const owner = 'budget-roomy';
    const id = await t.conversation(owner);
    t.fake.setResponder((_request, index) =>
      index === 0
        ? { toolCalls: [{ name: 'math__add', arguments: { a: 2, b: 40 } }] }
        : { text: 'The answer is 42.' },
    );
    const response = await turn(id, owner);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ steps: 2 });
  });
});
