import { documents, tasks } from '@repo/db';
import { createRedis, subscribeCancellations } from '@repo/queue';
import { waitFor } from '@repo/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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

/** A document and its queued ingestion task, created through the api. */
async function queuedTask(as = alice) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/documents',
    headers: as,
    payload: { title: 'T', content: 'Task text.' },
  });
  const documentId = response.json<{ id: string }>().id;
  const [task] = await t.db.select().from(tasks).where(eq(tasks.input, { documentId }));
  return { documentId, taskId: task!.id };
}

const cancel = (id: string, as = alice) =>
  t.app.inject({ method: 'POST', url: `/v1/tasks/${id}/cancel`, headers: as });

describe('GET /v1/tasks/:id', () => {
  it('shows the task', async () => {
    const { documentId, taskId } = await queuedTask();
    const response = await t.app.inject({ url: `/v1/tasks/${taskId}`, headers: alice });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: taskId,
      type: 'ingest-document',
      status: 'queued',
      input: { documentId },
      result: null,
      error: null,
      attempts: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      startedAt: null,
      finishedAt: null,
    });
  });

  it("answers 404 for another owner's task and for an unknown one, 400 for a malformed id", async () => {
    const { taskId } = await queuedTask();
    expect((await t.app.inject({ url: `/v1/tasks/${taskId}`, headers: bob })).statusCode).toBe(404);
    const unknown = await t.app.inject({
      url: '/v1/tasks/00000000-0000-4000-8000-000000000000',
      headers: alice,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ detail: 'task not found' });
    const malformed = await t.app.inject({ url: '/v1/tasks/123', headers: alice });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({
      errors: [expect.objectContaining({ location: 'params', pointer: '/id' })],
    });
  });
});

describe('POST /v1/tasks/:id/cancel', () => {
  it('removes a queued task from the queue, marks it cancelled and its document failed', async () => {
    const { documentId, taskId } = await queuedTask();
    expect(await (await t.producer.queue('ingest-document')).getJob(taskId)).toBeDefined();

    const response = await cancel(taskId);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: taskId,
      status: 'cancelled',
      finishedAt: expect.any(String),
    });
    expect(await (await t.producer.queue('ingest-document')).getJob(taskId)).toBeUndefined();
    const [document] = await t.db.select().from(documents).where(eq(documents.id, documentId));
    expect(document).toMatchObject({ status: 'failed', error: 'ingestion cancelled' });
  });

  it('signals a running task to the runners over the cancellation channel', async () => {
    const { taskId } = await queuedTask();
    // What a worker does when it takes the job: the row goes to running and the job is locked
    // (BullMQ refuses to remove a locked job, exactly as for a real active one).
    await t.db.update(tasks).set({ status: 'running' }).where(eq(tasks.id, taskId));
    await t.redis.set(`${t.prefix}:ingest-document:${taskId}:lock`, 'worker-token', 'PX', 30_000);

    const subscriber = createRedis(inject('redisUrl'), 'worker', 'api-test-subscriber');
    const heard: string[] = [];
    const unsubscribe = await subscribeCancellations(subscriber, t.prefix, (id) => heard.push(id));
    try {
      const response = await cancel(taskId);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'cancelled' });
      await waitFor(() => heard.includes(taskId), { what: 'cancellation message', timeoutMs: 5_000 });
      // The runner, not the api, stops it: the job is still there.
      expect(await (await t.producer.queue('ingest-document')).getJob(taskId)).toBeDefined();
    } finally {
      await unsubscribe();
      subscriber.disconnect();
    }
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)(
    'answers 409 for a %s task and changes nothing',
    async (status) => {
      const { taskId } = await queuedTask();
      await t.db.update(tasks).set({ status }).where(eq(tasks.id, taskId));
      const response = await cancel(taskId);
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: 409,
        type: 'urn:keelson:problem:task-final',
        taskStatus: status,
      });
      const [task] = await t.db.select().from(tasks).where(eq(tasks.id, taskId));
      expect(task?.status).toBe(status);
    },
  );

  it('answers 400 with field detail for a malformed id', async () => {
    const response = await cancel('not-a-task');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: [expect.objectContaining({ location: 'params', pointer: '/id' })],
    });
  });

  it("answers 404 for another owner's task and leaves it queued", async () => {
    const { taskId } = await queuedTask();
    expect((await cancel(taskId, bob)).statusCode).toBe(404);
    const [task] = await t.db.select().from(tasks).where(eq(tasks.id, taskId));
    expect(task?.status).toBe('queued');
    expect(await (await t.producer.queue('ingest-document')).getJob(taskId)).toBeDefined();
  });
});
