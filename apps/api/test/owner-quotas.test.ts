import { ownerCounters, ownerQuotas, runs, tasks, usageRecords } from '@repo/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/openapi-document.ts';
import { insertConversation } from './support/fixtures.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/**
 * `GET /v1/quotas`: an owner's own limits (defaults, then its overrides) and what it uses, from
 * the rows the quotas are enforced on, so what it shows is what refuses a write.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    env: {
      QUOTA_DOCUMENTS: '5',
      QUOTA_STORED_BYTES: '2048',
      AGENT_RUN_MAX_OPEN_PER_OWNER: '3',
      QUOTA_MONTHLY_TOKENS: '50000',
      QUOTA_CONCURRENT_RUNS: '4',
    },
  });
});
afterAll(async () => {
  await t?.close();
});

const quotas = async (owner: string) =>
  t.app.inject({ method: 'GET', url: '/v1/quotas', headers: await t.auth(owner) });

const createDocument = async (owner: string, content: string) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/documents',
    headers: await t.auth(owner),
    payload: { title: 'Quota view', content },
  });

describe('GET /v1/quotas', () => {
  it('shows a new owner the configured defaults and nothing used, and creates no counter row', async () => {
    const response = await quotas('quinn');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      documents: { limit: 5, used: 0 },
      storedBytes: { limit: 2048, used: 0 },
      openAgentRuns: { limit: 3, used: 0 },
      monthlyTokens: { limit: 50_000, used: 0 },
      concurrentRuns: { limit: 4, used: 0 },
    });
    expect(await t.db.$count(ownerCounters, eq(ownerCounters.ownerId, 'quinn'))).toBe(0);
  });

  it('counts the documents and bytes the owner stores, and a delete gives them back', async () => {
    const first = await createDocument('rory', 'x'.repeat(100));
    expect(first.statusCode).toBe(202);
    expect((await createDocument('rory', 'y'.repeat(28))).statusCode).toBe(202);
    expect((await quotas('rory')).json()).toMatchObject({
      documents: { limit: 5, used: 2 },
      storedBytes: { limit: 2048, used: 128 },
    });
    const { id } = first.json<{ id: string }>();
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/documents/${id}`,
      headers: await t.auth('rory'),
    });
    expect(deleted.statusCode).toBe(204);
    expect((await quotas('rory')).json()).toMatchObject({
      documents: { limit: 5, used: 1 },
      storedBytes: { limit: 2048, used: 28 },
    });
    // Another owner's documents are not counted against this one.
    expect((await quotas('quinn')).json()).toMatchObject({ documents: { used: 0 } });
  });

  it('shows the limit that refuses the next document, as the 429 does', async () => {
    for (let i = 0; i < 4; i++) expect((await createDocument('rory', `doc ${i}`)).statusCode).toBe(202);
    const view = (await quotas('rory')).json<{ documents: { limit: number; used: number } }>();
    expect(view.documents).toEqual({ limit: 5, used: 5 });
    const refused = await createDocument('rory', 'one too many');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ quota: 'documents', limit: view.documents.limit, used: 5 });
  });

  it("applies the owner's overrides column by column", async () => {
    await t.db
      .insert(ownerQuotas)
      .values({ ownerId: 'sasha', maxDocuments: 50, maxOpenAgentRuns: 1, maxMonthlyTokens: 7_000 });
    expect((await quotas('sasha')).json()).toEqual({
      documents: { limit: 50, used: 0 },
      storedBytes: { limit: 2048, used: 0 },
      openAgentRuns: { limit: 1, used: 0 },
      monthlyTokens: { limit: 7_000, used: 0 },
      concurrentRuns: { limit: 4, used: 0 },
    });
    await t.db.update(ownerQuotas).set({ maxConcurrentRuns: 9 }).where(eq(ownerQuotas.ownerId, 'sasha'));
    expect((await quotas('sasha')).json()).toMatchObject({ concurrentRuns: { limit: 9, used: 0 } });
  });

  it('counts the agent runs queued or running, not the finished ones nor other task types', async () => {
    const run = (status: 'queued' | 'running' | 'succeeded') => ({
      ownerId: 'tess',
      type: 'agent-run',
      status,
      input: { conversationId: '00000000-0000-4000-8000-000000000000', content: 'hi' },
    });
    await t.db
      .insert(tasks)
      .values([
        run('queued'),
        run('running'),
        run('succeeded'),
        { ownerId: 'tess', type: 'ingest-document', status: 'queued', input: {} },
      ]);
    expect((await quotas('tess')).json()).toMatchObject({ openAgentRuns: { limit: 3, used: 2 } });
  });

  it("shows the agent's run quotas from the rows its admission reads: runs going, and this month's tokens", async () => {
    const owner = 'uma';
    const run = async (status: 'running' | 'awaiting_approval' | 'succeeded') => {
      const [row] = await t.db
        .insert(runs)
        .values({
          ownerId: owner,
          conversationId: await insertConversation(t.db, owner),
          status,
          provider: 'p',
          model: 'm',
        })
        .returning({ id: runs.id });
      return row!.id;
    };
    // In flight: one running, one waiting for an approval. One that ran and ended is not counted.
    await run('running');
    await run('awaiting_approval');
    const ended = await run('running');
    await t.db.update(runs).set({ status: 'succeeded', finishedAt: new Date() }).where(eq(runs.id, ended));
    const record = (inputTokens: number, outputTokens: number, createdAt: Date) => ({
      ownerId: owner,
      kind: 'chat' as const,
      provider: 'p',
      model: 'm',
      inputTokens,
      outputTokens,
      createdAt,
    });
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 86_400_000);
    // Last month's tokens are not this month's; this month's are every call's input + output.
    await t.db.insert(usageRecords).values(record(9_000, 1_000, lastMonth));
    await t.db.insert(usageRecords).values([record(300, 200, now), record(40, 60, now)]);

    expect((await quotas(owner)).json()).toMatchObject({
      monthlyTokens: { limit: 50_000, used: 600 },
      concurrentRuns: { limit: 4, used: 2 },
    });
    // Another owner's runs and tokens are its own.
    expect((await quotas('quinn')).json()).toMatchObject({
      monthlyTokens: { used: 0 },
      concurrentRuns: { used: 0 },
    });
  });

  it('needs a credential, refuses unknown parameters, and is in the OpenAPI document', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/quotas' })).statusCode).toBe(401);
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/v1/quotas?owner=someone-else',
      headers: await t.auth('quinn'),
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    const spec = await openApiDocument(t.app);
    expect(spec.paths?.['/v1/quotas']?.get?.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
  });
});
