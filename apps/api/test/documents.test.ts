import { chunks, documents, tasks } from '@repo/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ bodyLimit: 64 * 1024 });
});
afterAll(async () => {
  await t?.close();
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/documents', payload: payload as object, headers });

describe('POST /v1/documents', () => {
  it('stores the document and its task, enqueues the ingest job, and answers 202', async () => {
    const response = await post({ title: 'Hello', content: 'First paragraph.\n\nSecond paragraph.' });
    expect(response.statusCode).toBe(202);
    const body = response.json<{ id: string; status: string }>();
    expect(body.status).toBe('queued');
    expect(response.headers.location).toBe(`/v1/documents/${body.id}`);

    const [document] = await t.db.select().from(documents).where(eq(documents.id, body.id));
    expect(document).toMatchObject({ title: 'Hello', status: 'queued', ownerId: 'dev-owner' });
    expect(document?.contentHash).toMatch(/^[0-9a-f]{64}$/);

    const [task] = await t.db.select().from(tasks).where(eq(tasks.ownerId, 'dev-owner'));
    expect(task).toMatchObject({ type: 'ingest-document', status: 'queued', input: { documentId: body.id } });

    // The job id is the task id, and the payload carries ids only.
    const job = await t.producer.queue('ingest-document').getJob(task!.id);
    expect(job?.data).toEqual({ taskId: task!.id, documentId: body.id });
  });

  it.each([
    ['a missing title', { content: 'x' }, '/title'],
    ['an empty title', { title: '   ', content: 'x' }, '/title'],
    ['empty content', { title: 't', content: '' }, '/content'],
    ['a wrong type', { title: 42, content: 'x' }, '/title'],
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

  it('answers 400 for malformed JSON', async () => {
    const response = await post('{"title": ', { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const response = await post('title=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ status: 415 });
  });

  it('answers 413 for a body over the limit, before parsing it', async () => {
    const response = await post({ title: 'big', content: 'x'.repeat(65 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ status: 413, title: 'Payload Too Large' });
  });
});

describe('GET /v1/documents/:id', () => {
  it('shows status and chunk count', async () => {
    const created = (await post({ title: 'Status', content: 'Some text.' })).json<{ id: string }>();
    await t.db.insert(chunks).values([
      { documentId: created.id, ordinal: 0, content: 'Some' },
      { documentId: created.id, ordinal: 1, content: 'text.' },
    ]);
    const response = await t.app.inject(`/v1/documents/${created.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: created.id,
      title: 'Status',
      status: 'queued',
      error: null,
      chunkCount: 2,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('answers 404 problem+json for an unknown id', async () => {
    const response = await t.app.inject('/v1/documents/00000000-0000-4000-8000-000000000000');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, detail: 'document not found' });
  });

  it('answers 400 for an id that is not a uuid', async () => {
    const response = await t.app.inject('/v1/documents/not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: [expect.objectContaining({ location: 'params', pointer: '/id' })],
    });
  });
});

describe('request ids', () => {
  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const kept = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\n<script>' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('unknown routes', () => {
  it('answer 404 problem+json', async () => {
    const response = await t.app.inject('/nope');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
