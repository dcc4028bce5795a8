import { randomUUID } from 'node:crypto';
import { documents, runMigrations, tasks, type NewTask } from '@repo/db';
import { createProducer, createRedis, type Redis } from '@repo/queue';
import { waitFor } from '@repo/testing';
import { Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDocumentJob } from '../src/jobs/ingest-document.job.ts';
import type { JobDefinition } from '../src/jobs/job-definition.ts';
import { createTaskState } from '../src/jobs/task-state.ts';
import { runMaintenance, type MaintenanceDependencies } from '../src/maintenance/maintenance.ts';
import { silentLogger } from './support/test-runner.ts';
import { createTestStack, documentText, type TestStack } from './support/test-stack.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const policy = {
  retentionMs: 30 * DAY,
  stuckAfterMs: 30 * MINUTE,
  requeueAfterMs: 5 * MINUTE,
  settleMs: MINUTE,
};

let stack: TestStack;
let deps: MaintenanceDependencies;
let workerRedis: Redis;
let worker: Worker;

beforeAll(async () => {
  stack = await createTestStack('maintenance');
  await runMigrations({
    connectionString: stack.database.url,
    tls: { mode: 'disable' },
    logger: silentLogger,
  });
  const ingest = ingestDocumentJob({
    db: stack.db,
    split: { chunkSize: 200, overlap: 0 },
    concurrency: 1,
    timeoutMs: 10_000,
  });
  deps = {
    db: stack.db,
    producer: stack.producer,
    taskState: createTaskState(stack.db),
    definitions: new Map<string, JobDefinition>([[ingest.name, ingest]]),
    logger: silentLogger,
  };
  // A worker without a processor: the test moves jobs to their final state by hand.
  workerRedis = createRedis(stack.redisUrl, 'worker', 'maintenance-test-worker');
  worker = new Worker('ingest-document', null, {
    connection: workerRedis,
    prefix: stack.prefix,
    autorun: false,
  });
});
afterAll(async () => {
  await worker?.close();
  workerRedis?.disconnect();
  await stack?.close();
});

const ago = (ms: number) => new Date(Date.now() - ms);

async function task(values: Partial<NewTask> & { ageMs: number }) {
  const { ageMs, ...rest } = values;
  const [row] = await stack.db
    .insert(tasks)
    .values({ ownerId: 'owner', type: 'ingest-document', input: {}, ...rest, updatedAt: ago(ageMs) })
    .returning();
  return row!.id;
}

async function document() {
  const [row] = await stack.db
    .insert(documents)
    .values({ ownerId: 'owner', title: 'm', content: documentText(3), contentHash: 'h' })
    .returning();
  return row!.id;
}

/** Adds the task's job and moves it to a final state, as a worker would have. */
async function finishedJob(taskId: string, documentId: string, outcome: 'completed' | 'failed') {
  await stack.producer
    .queue('ingest-document')
    .add('ingest-document', { taskId, documentId }, { jobId: taskId, attempts: 1 });
  const job = await worker.getNextJob('test-token');
  if (job?.id !== taskId) throw new Error(`expected job ${taskId}, fetched ${job?.id}`);
  if (outcome === 'completed')
    await job.moveToCompleted({ status: 'ready', chunkCount: 3 }, 'test-token', false);
  else await job.moveToFailed(new Error('boom'), 'test-token', false);
}

const row = async (id: string) => (await stack.db.select().from(tasks).where(eq(tasks.id, id)))[0];
const queue = () => stack.producer.queue('ingest-document');

describe('the maintenance job', () => {
  it('purges old finished tasks with their queue entries, heals lost and orphaned tasks, and is idempotent', async () => {
    // Jobs in a final state first: the hand-made worker takes the oldest waiting job.
    const completedQueued = await task({ status: 'queued', ageMs: 10 * MINUTE });
    await finishedJob(completedQueued, randomUUID(), 'completed');
    const failedRunning = await task({ status: 'running', ageMs: 2 * MINUTE });
    await finishedJob(failedRunning, randomUUID(), 'failed');

    // Purge: old finished tasks go (with their jobs), recent ones stay.
    const oldSucceeded = await task({ status: 'succeeded', ageMs: 40 * DAY });
    await stack.producer
      .queue('ingest-document')
      .add('ingest-document', { taskId: oldSucceeded, documentId: randomUUID() }, { jobId: oldSucceeded });
    const oldFailed = await task({ status: 'failed', ageMs: 40 * DAY });
    const oldCancelled = await task({ status: 'cancelled', ageMs: 40 * DAY });
    const recentSucceeded = await task({ status: 'succeeded', ageMs: DAY });

    // Queued tasks: an orphan is enqueued again; one with its job, a young one, an unknown type stay.
    const orphanDocument = await document();
    const orphan = await task({
      status: 'queued',
      ageMs: 10 * MINUTE,
      input: { documentId: orphanDocument },
    });
    const withJob = await task({ status: 'queued', ageMs: 10 * MINUTE, input: { documentId: randomUUID() } });
    await stack.producer.enqueue(
      'ingest-document',
      { taskId: withJob, documentId: randomUUID() },
      { jobId: withJob },
    );
    const young = await task({ status: 'queued', ageMs: MINUTE / 2, input: { documentId: randomUUID() } });
    const unknownType = await task({ status: 'queued', type: 'not-a-job', ageMs: 10 * MINUTE });
    // A job of the contract this runner does not run: its consumer owns its tasks.
    const otherConsumer = await task({
      status: 'queued',
      type: 'agent-run',
      ageMs: 10 * MINUTE,
      input: { conversationId: randomUUID() },
    });
    const invalidInput = await task({ status: 'queued', ageMs: 10 * MINUTE, input: { documentId: 'nope' } });

    // Running tasks: lost ones fail (and their document with them), settled final jobs are mirrored.
    const lostDocument = await document();
    const lost = await task({ status: 'running', ageMs: 40 * MINUTE, input: { documentId: lostDocument } });
    const notYetStuck = await task({
      status: 'running',
      ageMs: 10 * MINUTE,
      input: { documentId: randomUUID() },
    });

    const report = await runMaintenance(deps, policy);
    expect(report).toEqual({ purged: 3, requeued: 1, failed: 2, reconciled: 2 });

    for (const id of [oldSucceeded, oldFailed, oldCancelled]) expect(await row(id)).toBeUndefined();
    expect(await queue().getJob(oldSucceeded)).toBeUndefined();
    expect(await row(recentSucceeded)).toMatchObject({ status: 'succeeded' });

    expect(await row(orphan)).toMatchObject({ status: 'queued' });
    expect((await queue().getJob(orphan))?.data).toEqual({ taskId: orphan, documentId: orphanDocument });
    expect(await queue().getJobState(orphan)).toBe('waiting');
    for (const id of [withJob, young, unknownType, otherConsumer]) {
      expect(await row(id)).toMatchObject({ status: 'queued' });
    }
    expect(await stack.producer.queue('agent-run').getJob(otherConsumer)).toBeUndefined();
    expect(await queue().getJob(young)).toBeUndefined();
    expect(await row(invalidInput)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^cannot be enqueued again/),
    });
    expect(await row(completedQueued)).toMatchObject({
      status: 'succeeded',
      result: { status: 'ready', chunkCount: 3 },
    });

    expect(await row(lost)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^lost: stuck in running/),
    });
    expect((await row(lost))?.finishedAt).toBeInstanceOf(Date);
    const [failedDocument] = await stack.db.select().from(documents).where(eq(documents.id, lostDocument));
    expect(failedDocument).toMatchObject({ status: 'failed', error: expect.stringMatching(/^lost/) });
    expect(await row(notYetStuck)).toMatchObject({ status: 'running' });
    expect(await row(failedRunning)).toMatchObject({ status: 'failed', error: 'boom' });

    // A second run finds nothing to do: the orphan's job now exists, so it is not enqueued twice.
    expect(await runMaintenance(deps, policy)).toEqual({ purged: 0, requeued: 0, failed: 0, reconciled: 0 });
    expect((await queue().getJobs(['waiting'])).filter((job) => job.id === orphan)).toHaveLength(1);
  });

  it('stops between steps when its run is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    await expect(runMaintenance(deps, policy, controller.signal)).rejects.toThrow('timed out');
  });

  it('never hangs on Redis: a run against an unreachable queue fails within its bound and is simply retried', async () => {
    const orphan = await task({ status: 'queued', ageMs: 10 * MINUTE, input: { documentId: randomUUID() } });
    const offline = createRedis('redis://127.0.0.1:1', 'producer', 'maintenance-offline');
    offline.on('error', () => {});
    const producer = createProducer({ connection: offline, prefix: stack.prefix });
    try {
      const started = performance.now();
      await expect(runMaintenance({ ...deps, producer, redisTimeoutMs: 300 }, policy)).rejects.toThrow(
        /did not answer within 300 ms/,
      );
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await producer.close();
      offline.disconnect();
    }
    await waitFor(async () => (await runMaintenance(deps, policy)).requeued === 1, { what: 'retried run' });
    expect(await queue().getJobState(orphan)).toBe('waiting');
  });
});
