import { usageRecords, type NewUsageRecord } from '@repo/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

/**
 * `GET /v1/usage` over usage records as the agent writes them (apps/agent/test/usage.test.ts
 * shows the agent's side): sums by Postgres, per owner, in [from, to).
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

const record = (row: Partial<NewUsageRecord> & { ownerId: string; createdAt: Date }): NewUsageRecord => ({
  kind: 'chat',
  provider: 'openai',
  model: 'gpt-4.1-mini',
  inputTokens: 100,
  outputTokens: 10,
  cost: null,
  ...row,
});

const usage = async (owner: string, query: string) =>
  t.app.inject({ method: 'GET', url: `/v1/usage?${query}`, headers: await t.auth(owner) });

const at = (iso: string) => new Date(iso);
const RANGE = 'from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z';

beforeAll(async () => {
  await t.db.insert(usageRecords).values([
    // Alice, 2 March: two priced steps and a summary of a model without a price.
    record({
      ownerId: 'alice',
      createdAt: at('2026-03-02T08:00:00Z'),
      inputTokens: 1_000,
      outputTokens: 200,
      cost: '0.00072',
    }),
    record({
      ownerId: 'alice',
      createdAt: at('2026-03-02T23:59:59.999Z'),
      inputTokens: 3_000,
      outputTokens: 100,
      cost: '0.00136',
    }),
    record({
      ownerId: 'alice',
      createdAt: at('2026-03-02T12:00:00Z'),
      kind: 'summary',
      provider: 'openai-compatible',
      model: 'llama3.2',
      inputTokens: 500,
      outputTokens: 50,
    }),
    // Alice, 3 March (UTC, although it is still the 2nd west of Greenwich): unpriced only.
    record({
      ownerId: 'alice',
      createdAt: at('2026-03-03T00:00:00Z'),
      provider: 'openai-compatible',
      model: 'llama3.2',
      inputTokens: 40,
      outputTokens: 4,
    }),
    // Outside the range: the instant `to` is excluded, the one before `from` too.
    record({ ownerId: 'alice', createdAt: at('2026-04-01T00:00:00Z'), inputTokens: 7_777, cost: '1' }),
    record({ ownerId: 'alice', createdAt: at('2026-02-28T23:59:59Z'), inputTokens: 8_888, cost: '1' }),
    // Bob, same days: never in Alice's answer.
    record({ ownerId: 'bob', createdAt: at('2026-03-02T09:00:00Z'), inputTokens: 99_999, cost: '5' }),
  ]);
});

describe('GET /v1/usage', () => {
  it('adds up the owner’s tokens and cost by UTC day, in [from, to)', async () => {
    const response = await usage('alice', `${RANGE}&groupBy=day`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      groupBy: 'day',
      totals: { inputTokens: 4_540, outputTokens: 354, calls: 4, cost: 0.00208, unpricedCalls: 2 },
      groups: [
        {
          day: '2026-03-02',
          inputTokens: 4_500,
          outputTokens: 350,
          calls: 3,
          cost: 0.00208,
          unpricedCalls: 1,
        },
        // Nothing priced that day: the cost is unknown, not 0.
        { day: '2026-03-03', inputTokens: 40, outputTokens: 4, calls: 1, cost: null, unpricedCalls: 1 },
      ],
    });
  });

  it('groups by provider and model', async () => {
    const response = await usage('alice', `${RANGE}&groupBy=model`);
    expect(response.statusCode).toBe(200);
    expect(response.json().groups).toEqual([
      {
        provider: 'openai',
        model: 'gpt-4.1-mini',
        inputTokens: 4_000,
        outputTokens: 300,
        calls: 2,
        cost: 0.00208,
        unpricedCalls: 0,
      },
      {
        provider: 'openai-compatible',
        model: 'llama3.2',
        inputTokens: 540,
        outputTokens: 54,
        calls: 2,
        cost: null,
        unpricedCalls: 2,
      },
    ]);
  });

  it("never shows another owner's usage", async () => {
    const bob = (await usage('bob', RANGE)).json();
    expect(bob.totals).toEqual({
      inputTokens: 99_999,
      outputTokens: 10,
      calls: 1,
      cost: 5,
      unpricedCalls: 0,
    });
    const nobody = (await usage('carol', RANGE)).json();
    expect(nobody.totals).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      calls: 0,
      cost: null,
      unpricedCalls: 0,
    });
    expect(nobody.groups).toEqual([]);
  });

  it('defaults to the current calendar month (UTC) by day', async () => {
    const now = new Date();
    await t.db
      .insert(usageRecords)
      .values(record({ ownerId: 'dave', createdAt: new Date(now.getTime() - 1_000) }));
    const response = await usage('dave', '');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.groupBy).toBe('day');
    expect(body.from).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString());
    expect(body.totals.calls).toBe(1);
  });

  it.each([
    ['from after to', 'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', '/from'],
    ['an empty range', 'from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z', '/from'],
    ['more than 366 days', 'from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', '/to'],
    ['a date that is not one', 'from=yesterday', '/from'],
    ['a date without an offset', 'from=2026-03-01T00:00:00', '/from'],
    ['an unknown grouping', 'groupBy=owner', '/groupBy'],
  ])('answers 400 problem+json for %s', async (_case, query, pointer) => {
    const response = await usage('alice', query);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().errors).toEqual([expect.objectContaining({ location: 'querystring', pointer })]);
  });

  it('is readable with an API key of the read scope, refused without it', async () => {
    const create = async (scopes: string[]) =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/api-keys',
          headers: await t.auth('alice'),
          payload: { name: `usage ${scopes.join()}`, scopes },
        })
      ).json().key as string;
    const reader = await create(['read']);
    const agent = await create(['agent']);
    const withKey = (key: string) =>
      t.app.inject({ method: 'GET', url: `/v1/usage?${RANGE}`, headers: { authorization: `Bearer ${key}` } });
    const allowed = await withKey(reader);
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().totals.calls).toBe(4);
    const refused = await withKey(agent);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ type: 'urn:keelson:problem:forbidden' });
  });
});
