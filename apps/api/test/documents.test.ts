import { chunks, documents, tasks } from '@repo/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

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

const post = (payload: unknown, headers: Record<string, string> = {}, as = alice) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/documents',
    payload: payload as object,
    headers: { ...as, ...headers },
  });
const get = (url: string, as = alice) => t.app.inject({ method: 'GET', url, headers: as });
const created = async (title = 'Doc', content = 'Some text.', as = alice) =>
  (await post({ title, content }, {}, as)).json<{ id: string }>().id;

describe('POST /v1/documents', () => {
  it("stores the document and its task for the token's owner, enqueues the ingest job, and answers 202", async () => {
    const response = await post({ title: 'Hello', content: 'First paragraph.\n\nSecond paragraph.' });
    expect(response.statusCode).toBe(202);
    const body = response.json<{ id: string; status: string }>();
    expect(body.status).toBe('queued');
    expect(response.headers.location).toBe(`/v1/documents/${body.id}`);
    expect(response.headers['idempotent-replayed']).toBeUndefined();

    const [document] = await t.db.select().from(documents).where(eq(documents.id, body.id));
    expect(document).toMatchObject({
      title: 'Hello',
      status: 'queued',
      ownerId: 'alice',
      idempotencyKey: null,
    });
    expect(document?.contentHash).toMatch(/^[0-9a-f]{64}$/);

    const [task] = await t.db
      .select()
      .from(tasks)
      .where(eq(tasks.input, { documentId: body.id }));
    expect(task).toMatchObject({ ownerId: 'alice', type: 'ingest-document', status: 'queued' });

    // The job id is the task id, and the payload carries ids only.
    const job = await (await t.producer.queue('ingest-document')).getJob(task!.id);
    expect(job?.data).toEqual({ taskId: task!.id, documentId: body.id });
  });

  it.each([
    ['a missing title', { content: 'x' }, '/title'],
    ['an empty title', { title: '   ', content: 'x' }, '/title'],
    ['empty content', { title: 't', content: '' }, '/content'],
    ['a wrong type', { title: 42, content: 'x' }, '/title'],
    // Postgres text cannot hold NUL: refused as a client error, never a 500 from the database.
    ['a NUL character', { title: 't', content: 'a\u0000b' }, '/content'],
  ])('answers 400 problem+json with field detail for %s', async (_case, payload, pointer) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json<{
      type: string;
      status: number;
      errors: { pointer: string; location: string }[];
    }>();
    expect(problem).toMatchObject({
      type: 'urn:keelson:problem:validation',
      title: 'Bad Request',
      status: 400,
    });
    expect(problem.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ location: 'body', pointer })]),
    );
  });

  it("queues each document at its place in its owner's line: owners take turns on the queue", async () => {
    const [first, second, third] = [await t.auth('line-a'), await t.auth('line-a'), await t.auth('line-b')];
    const priorityOf = async (documentId: string) => {
      const [task] = await t.db.select({ id: tasks.id }).from(tasks).where(eq(tasks.input, { documentId }));
      return (await (await t.producer.queue('ingest-document')).getJob(task!.id))?.opts.priority;
    };
    // Nothing is ingested here (no runner): each of line-a's documents stays open, one further back.
    const a = [
      await created('a1', 'x', first),
      await created('a2', 'x', second),
      await created('a3', 'x', first),
    ];
    expect(await Promise.all(a.map(priorityOf))).toEqual([1, 2, 3]);
    // Another owner's first document is first in its own line, whatever line-a has queued.
    expect(await priorityOf(await created('b1', 'x', third))).toBe(1);
  });

  it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
    const malformed = await post('{"title": ', { 'content-type': 'application/json' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
    const form = await post('title=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.statusCode).toBe(415);
    expect(form.json()).toMatchObject({ status: 415 });
  });

  it('answers 413 for a body over the limit, before parsing it', async () => {
    const response = await post({ title: 'big', content: 'x'.repeat(65 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ status: 413, title: 'Payload Too Large' });
  });
});

describe('Idempotency-Key', () => {
  // Queued jobs: an owner's jobs wait by priority (their place in the owner's line).
  const jobCount = async () =>
    (await t.producer.queue('ingest-document')).getJobCountByTypes('waiting', 'prioritized');

  it('replays the same key with the same body: same document, no second job', async () => {
    const jobsBefore = await jobCount();
    const first = await post({ title: 'Once', content: 'Only once.' }, { 'idempotency-key': 'key-replay' });
    const second = await post({ title: 'Once', content: 'Only once.' }, { 'idempotency-key': 'key-replay' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers.location).toBe(first.headers.location);
    expect(await jobCount()).toBe(jobsBefore + 1);
    expect(await t.db.$count(documents, eq(documents.idempotencyKey, 'key-replay'))).toBe(1);
    expect(await t.db.$count(tasks, eq(tasks.input, { documentId: first.json<{ id: string }>().id }))).toBe(
      1,
    );
  });

  it('answers 409 for the same key with a different body, and stores nothing', async () => {
    await post({ title: 'A', content: 'first' }, { 'idempotency-key': 'key-conflict' });
    const before = await t.db.$count(documents);
    const response = await post({ title: 'A', content: 'second' }, { 'idempotency-key': 'key-conflict' });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: 'urn:keelson:problem:idempotency-key-reused',
      status: 409,
    });
    expect(await t.db.$count(documents)).toBe(before);
  });

  it('keeps keys per owner: another owner may use the same key', async () => {
    const mine = await post({ title: 'K', content: 'alice' }, { 'idempotency-key': 'key-shared' });
    const theirs = await post({ title: 'K', content: 'bob' }, { 'idempotency-key': 'key-shared' }, bob);
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json<{ id: string }>().id).not.toBe(mine.json<{ id: string }>().id);
  });

  it('creates exactly one document for concurrent requests with one key', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        post({ title: 'Race', content: 'same' }, { 'idempotency-key': 'key-race' }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(202));
    expect(new Set(responses.map((r) => r.json<{ id: string }>().id)).size).toBe(1);
    expect(await t.db.$count(documents, eq(documents.idempotencyKey, 'key-race'))).toBe(1);
  });

  it('answers 400 with field detail for a malformed key', async () => {
    const response = await post({ title: 't', content: 'c' }, { 'idempotency-key': 'has space' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: [expect.objectContaining({ location: 'headers', pointer: '/idempotency-key' })],
    });
  });
});

describe('GET /v1/documents/:id', () => {
  it('shows status and chunk count, and nothing the schema does not name', async () => {
    const id = await created('Status', 'Some text.');
    await t.db.insert(chunks).values([
      { documentId: id, ordinal: 0, content: 'Some' },
      { documentId: id, ordinal: 1, content: 'text.' },
    ]);
    const response = await get(`/v1/documents/${id}`);
    expect(response.statusCode).toBe(200);
    // Exact equality: content, ownerId, idempotencyKey and requestHash are stripped by the schema.
    expect(response.json()).toEqual({
      id,
      title: 'Status',
      status: 'queued',
      error: null,
      chunkCount: 2,
      // A document sent as text has no file (test/uploads.test.ts covers one that has).
      file: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it("answers 404 for an unknown id and for another owner's document alike", async () => {
    const id = await created();
    const unknown = await get('/v1/documents/00000000-0000-4000-8000-000000000000');
    const foreign = await get(`/v1/documents/${id}`, bob);
    for (const response of [unknown, foreign]) {
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 404, detail: 'document not found' });
    }
  });

  it('answers 400 for an id that is not a uuid', async () => {
    const response = await get('/v1/documents/not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: [expect.objectContaining({ location: 'params', pointer: '/id' })],
    });
  });
});

describe('DELETE /v1/documents/:id', () => {
  it('deletes the document with its chunks, cancels its task and removes its queued job', async () => {
    const id = await created('Doomed', 'Going away.');
    await t.db.insert(chunks).values({ documentId: id, ordinal: 0, content: 'Going away.' });
    const [task] = await t.db
      .select()
      .from(tasks)
      .where(eq(tasks.input, { documentId: id }));
    expect(await (await t.producer.queue('ingest-document')).getJob(task!.id)).toBeDefined();

    const response = await t.app.inject({ method: 'DELETE', url: `/v1/documents/${id}`, headers: alice });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(await t.db.$count(documents, eq(documents.id, id))).toBe(0);
    expect(await t.db.$count(chunks, eq(chunks.documentId, id))).toBe(0);
    const [after] = await t.db.select().from(tasks).where(eq(tasks.id, task!.id));
    expect(after).toMatchObject({ status: 'cancelled', error: 'document deleted' });
    expect(await (await t.producer.queue('ingest-document')).getJob(task!.id)).toBeUndefined();

    const again = await t.app.inject({ method: 'DELETE', url: `/v1/documents/${id}`, headers: alice });
    expect(again.statusCode).toBe(404);
  });

  it('answers 400 with field detail for an id that is not a uuid', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/v1/documents/42', headers: alice });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: [expect.objectContaining({ location: 'params', pointer: '/id' })],
    });
  });

  it("answers 404 for another owner's document and leaves it alone", async () => {
    const id = await created();
    const response = await t.app.inject({ method: 'DELETE', url: `/v1/documents/${id}`, headers: bob });
    expect(response.statusCode).toBe(404);
    expect(await t.db.$count(documents, eq(documents.id, id))).toBe(1);
  });
});
