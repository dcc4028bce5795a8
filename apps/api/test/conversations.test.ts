import { conversations, messages, tasks } from '@repo/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConversation } from './support/fixtures.ts';
import { createTestApp, TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';

// No AGENT_URL here: everything but sending a message works without the agent service.
let t: TestApp;
let alice: { authorization: string };
let bob: { authorization: string };

beforeAll(async () => {
  t = await createTestApp();
  alice = await t.auth('alice');
  bob = await t.auth('bob');
});
afterAll(async () => {
  await t?.close();
});

const ID = '00000000-0000-4000-8000-000000000000';

interface View {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}
interface Page {
  items: View[];
  nextCursor: string | null;
}
interface Detail extends View {
  summary: string | null;
  messages: { id: string; seq: number; role: string; content: string }[];
  nextAfter: number | null;
}

const create = (payload: object, as = alice) =>
  t.app.inject({ method: 'POST', url: '/v1/conversations', headers: as, payload });

describe('POST /v1/conversations', () => {
  it('creates a conversation owned by the caller, with a default or a trimmed title', async () => {
    const response = await create({});
    expect(response.statusCode).toBe(201);
    const created = response.json<View>();
    expect(created).toEqual({
      id: expect.any(String),
      title: 'New conversation',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: created.createdAt,
    });
    expect(response.headers.location).toBe(`/v1/conversations/${created.id}`);
    const [row] = await t.db.select().from(conversations).where(eq(conversations.id, created.id));
    expect(row?.ownerId).toBe('alice');

    expect((await create({ title: '  Trip planning  ' })).json<View>().title).toBe('Trip planning');
  });

  it.each([
    ['an empty title', { title: '   ' }, '/title'],
    ['a title too long', { title: 'x'.repeat(301) }, '/title'],
    ['a NUL character', { title: 'a\u0000b' }, '/title'],
    ['a title that is not text', { title: 42 }, '/title'],
  ])('answers 400 with field detail for %s', async (_case, payload, pointer) => {
    const response = await create(payload);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: 'urn:keelson:problem:validation',
      errors: [expect.objectContaining({ location: 'body', pointer })],
    });
  });

  it('answers 401 without a token', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/conversations', payload: {} });
    expect(response.statusCode).toBe(401);
  });
});

describe('GET /v1/conversations', () => {
  const list = async (query: string, as = alice) => {
    const response = await t.app.inject({ url: `/v1/conversations${query}`, headers: as });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Page>();
  };

  it('pages latest activity first and is stable under concurrent inserts: nothing skipped, nothing twice', async () => {
    const pager = await t.auth('pager');
    // One statement: many rows share updated_at exactly, and the id breaks the ties.
    const seeded = await t.db
      .insert(conversations)
      .values(Array.from({ length: 23 }, (_, i) => ({ ownerId: 'pager', title: `seed ${i}` })))
      .returning({ id: conversations.id });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(`?limit=5${cursor ? `&cursor=${cursor}` : ''}`, pager);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
      await Promise.all(['a', 'b', 'c'].map((x) => create({ title: `new ${pages}${x}` }, pager)));
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(seeded.map((row) => row.id)));
    expect(pages).toBeGreaterThanOrEqual(5);

    // Exactly the (updated_at, id) descending order of the table.
    const all = await t.db.execute<{ id: string }>(
      sql`select id from conversations where owner_id = 'pager' order by updated_at desc, id desc`,
    );
    const walked: string[] = [];
    cursor = null;
    do {
      const page: Page = await list(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`, pager);
      walked.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual(all.rows.map((row) => row.id));
  });

  it("lists only the caller's conversations, the one with the latest reply first", async () => {
    const carol = await t.auth('carol');
    const older = (await create({ title: 'older' }, carol)).json<View>().id;
    const newer = (await create({ title: 'newer' }, carol)).json<View>().id;
    await create({ title: 'not carol' }, bob);
    expect((await list('', carol)).items.map((item) => item.id)).toEqual([newer, older]);
    // The agent stores a reply in the older one: it moves to the front.
    await t.db.update(conversations).set({ updatedAt: new Date() }).where(eq(conversations.id, older));
    expect((await list('', carol)).items.map((item) => item.id)).toEqual([older, newer]);
  });

  it.each([['?limit=0'], ['?limit=101'], ['?cursor=nope']])('answers 400 for %s', async (query) => {
    const response = await t.app.inject({ url: `/v1/conversations${query}`, headers: alice });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ errors: unknown[] }>().errors).toHaveLength(1);
  });
});

describe('GET /v1/conversations/:id', () => {
  let id: string;
  beforeAll(async () => {
    id = await insertConversation(t.db, 'alice', 'With messages');
    // As the agent writes them: one transaction per turn, strictly ordered by seq.
    await t.db.insert(messages).values(
      Array.from({ length: 7 }, (_, i) => ({
        conversationId: id,
        role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
        content: `message ${i}`,
      })),
    );
  });

  const get = async (query = '', as = alice) =>
    t.app.inject({ url: `/v1/conversations/${id}${query}`, headers: as });

  it('returns the conversation and its messages oldest first, paged by seq', async () => {
    const first = await get('?limit=3');
    expect(first.statusCode).toBe(200);
    const page = first.json<Detail>();
    expect(page).toMatchObject({ id, title: 'With messages', summary: null });
    expect(page.messages.map((m) => m.content)).toEqual(['message 0', 'message 1', 'message 2']);
    expect(page.messages[0]).toEqual({
      id: expect.any(String),
      seq: expect.any(Number),
      role: 'user',
      content: 'message 0',
      toolCalls: null,
      toolResults: null,
      inputTokens: null,
      outputTokens: null,
      createdAt: expect.any(String),
    });
    expect(page.nextAfter).toBe(page.messages[2]!.seq);

    const contents: string[] = [];
    let after: number | null = 0;
    while (after !== null) {
      const next: Detail = (await get(`?limit=3&after=${after}`)).json<Detail>();
      contents.push(...next.messages.map((m) => m.content));
      after = next.nextAfter;
    }
    expect(contents).toEqual(Array.from({ length: 7 }, (_, i) => `message ${i}`));
  });

  it("answers 404 for another owner's conversation and an unknown one", async () => {
    expect((await get('', bob)).statusCode).toBe(404);
    const unknown = await t.app.inject({ url: `/v1/conversations/${ID}`, headers: alice });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ status: 404, detail: 'conversation not found' });
  });

  it.each([
    ['a malformed id', `/v1/conversations/nope`, 'params', '/id'],
    ['a negative after', `/v1/conversations/${ID}?after=-1`, 'querystring', '/after'],
    ['a limit too large', `/v1/conversations/${ID}?limit=201`, 'querystring', '/limit'],
  ])('answers 400 with field detail for %s', async (_case, url, location, pointer) => {
    const response = await t.app.inject({ url, headers: alice });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ errors: [expect.objectContaining({ location, pointer })] });
  });
});

describe('DELETE /v1/conversations/:id', () => {
  it('deletes the conversation with its messages and cancels its queued agent runs', async () => {
    const id = await insertConversation(t.db, 'alice');
    await t.db.insert(messages).values({ conversationId: id, role: 'user', content: 'hi' });
    const queued = await t.app.inject({
      method: 'POST',
      url: '/v1/tasks',
      headers: alice,
      payload: { type: 'agent-run', input: { conversationId: id, content: 'later' } },
    });
    const taskId = queued.json<{ id: string }>().id;
    expect(await (await t.producer.queue('agent-run')).getJob(taskId)).toBeDefined();

    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/conversations/${id}`, headers: bob })).statusCode,
    ).toBe(404);
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/conversations/${id}`, headers: alice });
    expect(deleted.statusCode).toBe(204);
    expect(await t.db.$count(messages, eq(messages.conversationId, id))).toBe(0);
    const [task] = await t.db.select().from(tasks).where(eq(tasks.id, taskId));
    expect(task).toMatchObject({ status: 'cancelled', error: 'conversation deleted' });
    expect(await (await t.producer.queue('agent-run')).getJob(taskId)).toBeUndefined();

    const again = await t.app.inject({ method: 'DELETE', url: `/v1/conversations/${id}`, headers: alice });
    expect(again.statusCode).toBe(404);
  });
});

describe('POST /v1/conversations/:id/messages without an agent', () => {
  const send = (id: string, payload: object, headers: Record<string, string> = {}, as = alice) =>
    t.app.inject({
      method: 'POST',
      url: `/v1/conversations/${id}/messages`,
      headers: { ...as, ...headers },
      payload,
    });

  it('answers 503 naming AGENT_URL, and stores nothing', async () => {
    const id = await insertConversation(t.db, 'alice');
    const response = await send(id, { content: 'hello' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      type: 'urn:keelson:problem:agent-not-configured',
      detail: expect.stringContaining('AGENT_URL'),
    });
    expect(await t.db.$count(messages, eq(messages.conversationId, id))).toBe(0);
  });

  it("answers 404 for another owner's conversation before anything else", async () => {
    const id = await insertConversation(t.db, 'alice');
    expect((await send(id, { content: 'hello' }, {}, bob)).statusCode).toBe(404);
  });

  it('is refused to the service token (403): conversations stay with users', async () => {
    const id = await insertConversation(t.db, 'alice');
    const response = await send(
      id,
      { content: 'hello' },
      { authorization: `Bearer ${TEST_SERVICE_TOKEN}`, 'x-keelson-owner': 'alice' },
    );
    expect(response.statusCode).toBe(403);
  });

  it.each([
    ['empty content', { content: '  ' }, {}, 'body', '/content'],
    ['content too long', { content: 'x'.repeat(32_001) }, {}, 'body', '/content'],
    ['a NUL character', { content: 'a\u0000' }, {}, 'body', '/content'],
    [
      'an idempotency key with spaces',
      { content: 'hi' },
      { 'idempotency-key': 'a b' },
      'headers',
      '/idempotency-key',
    ],
  ])('answers 400 with field detail for %s', async (_case, payload, headers, location, pointer) => {
    const response = await send(ID, payload, headers);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ errors: [expect.objectContaining({ location, pointer })] });
  });
});
