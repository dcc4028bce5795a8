import { documents, tasks } from '@repo/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/http/pagination.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let alice: { authorization: string };

beforeAll(async () => {
  t = await createTestApp();
  alice = await t.auth('pager');
});
afterAll(async () => {
  await t?.close();
});

interface Page {
  items: { id: string; title: string; createdAt: string }[];
  nextCursor: string | null;
}

const list = async (url: string, as = alice) => {
  const response = await t.app.inject({ method: 'GET', url, headers: as });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page>();
};
const create = (title: string, as = alice) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/documents',
    headers: as,
    payload: { title, content: `${title} text` },
  });

describe('GET /v1/documents', () => {
  it('pages newest first and is stable under concurrent inserts: nothing skipped, nothing twice', async () => {
    // Created in one statement, so many rows share created_at exactly: the id breaks the ties.
    const seeded = await t.db
      .insert(documents)
      .values(
        Array.from({ length: 23 }, (_, i) => ({
          ownerId: 'pager',
          title: `seed ${i}`,
          content: 'x',
          contentHash: 'x',
        })),
      )
      .returning({ id: documents.id });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(`/v1/documents?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
      // While the client pages, other requests insert newer documents (concurrently).
      await Promise.all([create(`new ${pages}a`), create(`new ${pages}b`), create(`new ${pages}c`)]);
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    expect(seen).toEqual(expect.arrayContaining(seeded.map((row) => row.id))); // no skipped row
    expect(pages).toBeGreaterThanOrEqual(5);
  });

  it('returns items in (created_at, id) descending order, and the last page has no cursor', async () => {
    const all = await t.db.execute<{ id: string }>(
      sql`select id from documents where owner_id = 'pager' order by created_at desc, id desc`,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(`/v1/documents?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.rows.map((row) => row.id));
  });

  it("lists only the caller's documents, and filters by status", async () => {
    await create('someone else', await t.auth('stranger'));
    const page = await list('/v1/documents?limit=100', await t.auth('stranger'));
    expect(page.items.map((item) => item.title)).toEqual(['someone else']);
    expect((await list('/v1/documents?status=ready')).items).toEqual([]);
    expect(page.nextCursor).toBeNull();
  });

  it.each([
    ['limit=0', '/limit'],
    ['limit=101', '/limit'],
    ['limit=ten', '/limit'],
    ['status=done', '/status'],
    ['cursor=not-a-cursor', '/cursor'],
    // Well-formed but impossible date: refused before it reaches Postgres (which would fail).
    [
      `cursor=${encodeCursor({ createdAt: '2026-02-30T00:00:00.000000Z', id: '00000000-0000-4000-8000-000000000000' })}`,
      '/cursor',
    ],
    [`cursor=${Buffer.from('["x", 1]').toString('base64url')}`, '/cursor'],
  ])('answers 400 with field detail for %s', async (query, pointer) => {
    const response = await t.app.inject({ method: 'GET', url: `/v1/documents?${query}`, headers: alice });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ location: 'querystring', pointer })]),
    });
  });
});

describe('GET /v1/tasks', () => {
  it('pages stably under concurrent inserts and filters by status and type', async () => {
    const seeded = await t.db
      .insert(tasks)
      .values(
        Array.from({ length: 12 }, (_, i) => ({
          ownerId: 'tasker',
          type: i % 2 ? 'ingest-document' : 'summarize',
          status: i % 3 ? ('queued' as const) : ('succeeded' as const),
          input: { i },
        })),
      )
      .returning({ id: tasks.id, type: tasks.type, status: tasks.status });
    const tasker = await t.auth('tasker');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(`/v1/tasks?limit=4${cursor ? `&cursor=${cursor}` : ''}`, tasker);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      await Promise.all([create('t1', tasker), create('t2', tasker)]);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(seeded.map((row) => row.id)));

    const summarize = await list('/v1/tasks?type=summarize&status=succeeded&limit=100', tasker);
    expect(summarize.items.map((item) => item.id).sort()).toEqual(
      seeded
        .filter((row) => row.type === 'summarize' && row.status === 'succeeded')
        .map((row) => row.id)
        .sort(),
    );
  });

  it.each([
    ['status=exploded', '/status'],
    ['type=Not%20A%20Type', '/type'],
    ['limit=-1', '/limit'],
  ])('answers 400 with field detail for %s', async (query, pointer) => {
    const response = await t.app.inject({ method: 'GET', url: `/v1/tasks?${query}`, headers: alice });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ location: 'querystring', pointer })]),
    });
  });
});
