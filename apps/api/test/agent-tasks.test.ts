import { tasks } from '@repo/db';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConversation } from './support/fixtures.ts';
import { createTestApp, TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';

let t: TestApp;
let alice: { authorization: string };
let bob: { authorization: string };
let conversationId: string;

beforeAll(async () => {
  t = await createTestApp();
  alice = await t.auth('alice');
  bob = await t.auth('bob');
  conversationId = await insertConversation(t.db, 'alice');
});
afterAll(async () => {
  await t?.close();
});

const run = (
  input: object,
  headers: Record<string, string> = {},
  as: Record<string, string> = alice,
  type: unknown = 'agent-run',
) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/tasks',
    headers: { ...as, ...headers },
    payload: { type, input },
  });

describe('POST /v1/tasks {type: "agent-run"}', () => {
  it('stores the task, then queues its job under the task id: 202 with the task', async () => {
    const response = await run({ conversationId, content: '  Summarize my notes  ' });
    expect(response.statusCode).toBe(202);
    const task = response.json<{ id: string }>();
    expect(task).toEqual({
      id: expect.any(String),
      type: 'agent-run',
      status: 'queued',
      input: { conversationId, content: 'Summarize my notes' },
      result: null,
      error: null,
      attempts: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      startedAt: null,
      finishedAt: null,
    });
    expect(response.headers.location).toBe(`/v1/tasks/${task.id}`);
    const [row] = await t.db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(row?.ownerId).toBe('alice');
    // The job carries ids only; the message is in the task row.
    const job = await (await t.producer.queue('agent-run')).getJob(task.id);
    expect(job?.id).toBe(task.id);
    expect(job?.data).toEqual({ taskId: task.id, conversationId });
    // Its place in alice's line of open runs (this test's first): its priority on the shared queue.
    expect(job?.opts.priority).toBe(1);
  });

  it('is allowed to the service token acting for the owner (tasks:write)', async () => {
    const response = await run(
      { conversationId, content: 'from the agent' },
      {},
      { authorization: `Bearer ${TEST_SERVICE_TOKEN}`, 'x-keelson-owner': 'alice' },
    );
    expect(response.statusCode).toBe(202);
  });

  it("answers 404 for another owner's conversation and an unknown one, and stores nothing", async () => {
    const before = await t.db.$count(tasks);
    expect((await run({ conversationId, content: 'x' }, {}, bob)).statusCode).toBe(404);
    const unknown = await run({ conversationId: '00000000-0000-4000-8000-000000000000', content: 'x' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ detail: 'conversation not found' });
    expect(await t.db.$count(tasks)).toBe(before);
  });

  it.each([
    ['an unknown type', { conversationId: 'x' }, 'ingest-document', '/type'],
    ['no input', undefined, 'agent-run', '/input'],
    [
      'a malformed conversation id',
      { conversationId: 'nope', content: 'x' },
      'agent-run',
      '/input/conversationId',
    ],
    [
      'empty content',
      { conversationId: '00000000-0000-4000-8000-000000000000', content: ' ' },
      'agent-run',
      '/input/content',
    ],
  ])('answers 400 with field detail for %s', async (_case, input, type, pointer) => {
    const response = await run(input as object, {}, alice, type);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      type: 'urn:keelson:problem:validation',
      errors: [expect.objectContaining({ location: 'body', pointer })],
    });
  });

  describe('with an Idempotency-Key', () => {
    it('replays the first task for the same input: one row, one job', async () => {
      const key = { 'idempotency-key': 'run-once' };
      const first = await run({ conversationId, content: 'once' }, key);
      const second = await run({ conversationId, content: 'once' }, key);
      expect(first.statusCode).toBe(202);
      expect(second.statusCode).toBe(202);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id);
      expect(
        await t.db.$count(tasks, and(eq(tasks.ownerId, 'alice'), eq(tasks.idempotencyKey, 'run-once'))),
      ).toBe(1);
      expect(
        await (await t.producer.queue('agent-run')).getJobCountByTypes('waiting', 'prioritized'),
      ).toBeGreaterThan(0);
    });

    it('answers 409 when the key was used for another input', async () => {
      const key = { 'idempotency-key': 'run-conflict' };
      expect((await run({ conversationId, content: 'first' }, key)).statusCode).toBe(202);
      const reused = await run({ conversationId, content: 'second' }, key);
      expect(reused.statusCode).toBe(409);
      expect(reused.json()).toMatchObject({ type: 'urn:keelson:problem:idempotency-key-reused' });
    });

    it('creates one task when concurrent requests share a key', async () => {
      const key = { 'idempotency-key': 'run-race' };
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => run({ conversationId, content: 'race' }, key)),
      );
      expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(202));
      expect(new Set(responses.map((r) => r.json<{ id: string }>().id)).size).toBe(1);
      expect(
        await t.db.$count(tasks, and(eq(tasks.ownerId, 'alice'), eq(tasks.idempotencyKey, 'run-race'))),
      ).toBe(1);
    });

    it('keeps keys per owner: the same key of another owner is another task', async () => {
      const bobs = await insertConversation(t.db, 'bob');
      const key = { 'idempotency-key': 'shared-key' };
      const a = await run({ conversationId, content: 'a' }, key);
      const b = await run({ conversationId: bobs, content: 'b' }, key, bob);
      expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
      expect(a.json<{ id: string }>().id).not.toBe(b.json<{ id: string }>().id);
    });
  });
});
