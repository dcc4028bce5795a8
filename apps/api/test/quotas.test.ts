import { documents, ownerCounters, ownerQuotas } from '@repo/db';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDocument } from './support/fixtures.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/**
 * Document quotas through the app over two replicas (two app instances sharing Postgres and the
 * Redis prefix): Postgres is the arbiter, so a quota holds whichever replica a request reaches.
 */

const MAX_DOCUMENTS = 10;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  const env = { QUOTA_DOCUMENTS: String(MAX_DOCUMENTS) };
  a = await createTestApp({ env });
  b = await createTestApp({ env, database: a.database, prefix: a.prefix });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

async function create(app: TestApp, owner: string, content: string, headers: Record<string, string> = {}) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/documents',
    headers: { ...(await app.auth(owner)), ...headers },
    payload: { title: 'Quota', content },
  });
}

describe('the documents quota', () => {
  it(`lets 50 parallel creations across two replicas store exactly ${MAX_DOCUMENTS}`, async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => create(i % 2 === 0 ? a : b, 'dana', `document ${i}`)),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 202)).toHaveLength(MAX_DOCUMENTS);
    expect(statuses.filter((status) => status === 429)).toHaveLength(50 - MAX_DOCUMENTS);
    const refused = responses.find((response) => response.statusCode === 429)!;
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      type: 'urn:keelson:problem:quota-exceeded',
      status: 429,
      quota: 'documents',
      limit: MAX_DOCUMENTS,
      used: MAX_DOCUMENTS,
      resetsAt: null,
    });
    expect(await a.db.$count(documents, eq(documents.ownerId, 'dana'))).toBe(MAX_DOCUMENTS);
    const [counters] = await a.db.select().from(ownerCounters).where(eq(ownerCounters.ownerId, 'dana'));
    expect(counters!.documents).toBe(MAX_DOCUMENTS);
  });

  it('frees a place when a document is deleted, on either replica', async () => {
    const [first] = await a.db
      .select({ id: documents.id })
      .from(documents)
      .where(eq(documents.ownerId, 'dana'))
      .limit(1);
    const deleted = await b.app.inject({
      method: 'DELETE',
      url: `/v1/documents/${first!.id}`,
      headers: await b.auth('dana'),
    });
    expect(deleted.statusCode).toBe(204);
    expect((await create(a, 'dana', 'in the freed place')).statusCode).toBe(202);
    expect((await create(b, 'dana', 'one too many')).statusCode).toBe(429);
  });

  it('answers a replay of a stored document at the limit with the document, not a 429', async () => {
    for (let i = 0; i < MAX_DOCUMENTS - 1; i++)
      expect((await create(a, 'hal', `h ${i}`)).statusCode).toBe(202);
    const first = await create(a, 'hal', 'the last one', { 'idempotency-key': 'last' });
    expect(first.statusCode).toBe(202);
    const replay = await create(b, 'hal', 'the last one', { 'idempotency-key': 'last' });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().id).toBe(first.json().id);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('counts the documents an owner held before the counters existed', async () => {
    for (let i = 0; i < MAX_DOCUMENTS; i++) await insertDocument(a.db, 'gina', `old ${i}`, [`passage ${i}`]);
    const refused = await create(b, 'gina', 'new');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ quota: 'documents', used: MAX_DOCUMENTS });
  });
});

describe('per-owner overrides and the stored-bytes quota', () => {
  it('raises or lowers one owner’s quota without touching the others', async () => {
    await a.db.insert(ownerQuotas).values({ ownerId: 'frank', maxDocuments: MAX_DOCUMENTS + 2 });
    for (let i = 0; i < MAX_DOCUMENTS + 2; i++)
      expect((await create(a, 'frank', `f ${i}`)).statusCode).toBe(202);
    const refused = await create(b, 'frank', 'past the override');
    expect(refused.json()).toMatchObject({ quota: 'documents', limit: MAX_DOCUMENTS + 2 });
  });

  it('refuses a document that would take the owner past its stored bytes, naming what is used', async () => {
    await a.db.insert(ownerQuotas).values({ ownerId: 'erin', maxStoredBytes: 2_000 });
    expect((await create(a, 'erin', 'é'.repeat(750))).statusCode).toBe(202); // 1,500 bytes in UTF-8
    const refused = await create(b, 'erin', 'x'.repeat(501));
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({
      type: 'urn:keelson:problem:quota-exceeded',
      quota: 'stored-bytes',
      limit: 2_000,
      used: 1_500,
    });
    expect((await create(b, 'erin', 'x'.repeat(500))).statusCode).toBe(202);
    const [counters] = await a.db
      .select()
      .from(ownerCounters)
      .where(and(eq(ownerCounters.ownerId, 'erin')));
    expect(counters).toMatchObject({ documents: 2, storedBytes: 2_000 });
  });
});
