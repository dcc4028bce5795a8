import { costOf } from '@repo/config';
import { runEvents, runs, usageRecords } from '@repo/db';
import { script, textOf } from '@repo/fake-llm';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

// The fake model is priced; `other:model` is there to show the table is looked up by provider and model.
const PRICES =
  '{"openai-compatible:fake-model": {"input": 0.4, "output": 1.6}, "other:model": {"input": 9, "output": 9}}';

let mcp: TestMcpServer;
let t: TestAgent;

beforeAll(async () => {
  mcp = await startTestMcpServer();
  t = await createTestAgent({
    servers: [{ name: 'math', url: mcp.url, headers: {} }],
    // A small budget, so a few turns need a summary (which is a model call too).
    env: { AGENT_MAX_STEPS: '4', MODEL_PRICES: PRICES, AGENT_TOKEN_BUDGET: '600' },
  });
});
afterAll(async () => {
  await t?.close();
  await mcp?.stop();
});

const turn = (conversationId: string, content: string, ownerId = 'alice') =>
  t.app.inject({
    method: 'POST',
    url: `/v1/conversations/${conversationId}/turns`,
    headers: t.headers(ownerId),
    payload: { content },
  });

const usageOf = (conversationId: string) =>
  t.db
    .select()
    .from(usageRecords)
    .where(eq(usageRecords.conversationId, conversationId))
    .orderBy(asc(usageRecords.createdAt));

/** A counter's value in the exposition, its series picked by some of its labels (any order). */
const metricIn = (text: string, name: string, labels: Record<string, string>) => {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([key, value]) => l.includes(`${key}="${value}"`)),
    );
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};
const metric = async (name: string, labels: Record<string, string>) =>
  metricIn(await t.registry.metrics(), name, labels);
const FAKE = { provider: 'openai-compatible', model: 'fake-model' };

describe('usage of an agent run', () => {
  it('records one row per model call of a multi-step tool turn, matching each step, priced', async () => {
    t.fake.setResponder(
      script(
        { toolCalls: [{ name: 'math__add', arguments: { a: 2, b: 40 } }] },
        { toolCalls: [{ name: 'math__add', arguments: { a: 42, b: 1 } }] },
        { text: 'The answer is 43.' },
      ),
    );
    const labels = { ...FAKE, direction: 'input' };
    const inputBefore = (await metric('agent_model_tokens_total', labels)) ?? 0;
    const costBefore = (await metric('agent_model_cost_usd_total', FAKE)) ?? 0;

    const id = await t.conversation('alice');
    const response = await turn(id, 'What is 2 + 40 + 1?');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.steps).toBe(3);

    const rows = await usageOf(id);
    expect(rows).toHaveLength(3);
    // Each row is the step the run streamed, in order: the provider's counts for that call.
    const steps = await t.db
      .select()
      .from(runEvents)
      .where(and(eq(runEvents.runId, body.runId), eq(runEvents.type, 'step-finish')))
      .orderBy(asc(runEvents.seq));
    expect(steps.map((e) => (e.data as { usage: unknown }).usage)).toEqual(
      rows.map((r) => ({ inputTokens: r.inputTokens, outputTokens: r.outputTokens })),
    );
    for (const row of rows) {
      expect(row).toMatchObject({
        ownerId: 'alice',
        runId: body.runId,
        conversationId: id,
        kind: 'chat',
        provider: 'openai-compatible',
        model: 'fake-model',
      });
      expect(row.inputTokens).toBeGreaterThan(0);
      const expected = costOf(new Map([['openai-compatible:fake-model', { input: 0.4, output: 1.6 }]]), row);
      expect(Number(row.cost)).toBeCloseTo(expected!, 10);
    }
    // Later steps carry the tool results: each call's input is its own, not the turn's total.
    expect(rows[2]!.inputTokens).toBeGreaterThan(rows[0]!.inputTokens);

    // The rows add up to what the run reports.
    const [run] = await t.db.select().from(runs).where(eq(runs.id, body.runId));
    expect(rows.reduce((sum, r) => sum + r.inputTokens, 0)).toBe(run!.inputTokens);
    expect(rows.reduce((sum, r) => sum + r.outputTokens, 0)).toBe(run!.outputTokens);

    // The metrics count the same tokens and cost, by provider and model only.
    expect((await metric('agent_model_tokens_total', labels))! - inputBefore).toBe(run!.inputTokens);
    const cost = rows.reduce((sum, r) => sum + Number(r.cost), 0);
    expect((await metric('agent_model_cost_usd_total', FAKE))! - costBefore).toBeCloseTo(cost, 9);
    const exposition = await t.registry.metrics();
    for (const line of exposition.split('\n').filter((l) => l.startsWith('agent_model_'))) {
      expect(line).not.toMatch(/owner|alice/);
    }
  });

  it('charges a run to its own owner', async () => {
    t.fake.setResponder(script({ text: 'Hi Bob.' }));
    const id = await t.conversation('bob');
    expect((await turn(id, 'Hello', 'bob')).statusCode).toBe(200);
    const rows = await usageOf(id);
    expect(rows.map((r) => r.ownerId)).toEqual(['bob']);
  });

  it('charges a conversation summary as a model call of kind summary', async () => {
    const id = await t.conversation('alice');
    t.fake.setResponder((request) => ({ text: `Noted: ${textOf(request.messages.at(-1)).slice(0, 30)}` }));
    for (let i = 0; i < 10; i++) {
      expect(
        (await turn(id, `Fact ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(4)}`)).statusCode,
      ).toBe(200);
    }
    t.fake.setResponder(script({ text: 'Facts about a fox.' }));
    const summarized = await t.app.inject({
      method: 'POST',
      url: `/v1/conversations/${id}/summarize`,
      headers: t.headers('alice'),
    });
    expect(summarized.json()).toMatchObject({ status: 'summarized' });
    const rows = await usageOf(id);
    expect(rows.filter((r) => r.kind === 'chat')).toHaveLength(10);
    const summary = rows.filter((r) => r.kind === 'summary');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ ownerId: 'alice', runId: null, model: 'fake-model' });
    expect(summary[0]!.inputTokens).toBeGreaterThan(0);
    expect(Number(summary[0]!.cost)).toBeGreaterThan(0);
  });
});

describe('a model without a price', () => {
  it('records the tokens with a null cost (unknown, never 0) and adds no cost to the metrics', async () => {
    const unpriced = await createTestAgent({
      env: { MODEL_PRICES: '{"openai:gpt-4.1-mini": {"input": 1, "output": 1}}' },
    });
    try {
      unpriced.fake.setResponder(script({ text: 'Free? Unknown.' }));
      const id = await unpriced.conversation('carol');
      const response = await unpriced.app.inject({
        method: 'POST',
        url: `/v1/conversations/${id}/turns`,
        headers: unpriced.headers('carol'),
        payload: { content: 'What does this cost?' },
      });
      expect(response.statusCode).toBe(200);
      const rows = await unpriced.db.select().from(usageRecords).where(eq(usageRecords.conversationId, id));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.cost).toBeNull();
      expect(rows[0]!.inputTokens).toBeGreaterThan(0);
      const text = await unpriced.registry.metrics();
      expect(metricIn(text, 'agent_model_calls_total', { ...FAKE, priced: 'false' })).toBe(1);
      expect(metricIn(text, 'agent_model_calls_total', { ...FAKE, priced: 'true' })).toBeUndefined();
      expect(text).not.toMatch(/^agent_model_cost_usd_total\{/m);
    } finally {
      await unpriced.close();
    }
  });
});
