import { randomUUID } from 'node:crypto';
import { documents, runMigrations, tasks, type NewTask } from '@repo/db';
import { createProducer, createRedis, type Redis } from '@repo/queue';
import { createTcpProxy, createTestBucket, waitFor } from '@repo/testing';
import { createObjectStorage, type ObjectStorage } from '@repo/storage';
import { Readable } from 'node:stream';
import { Worker, type Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentFiles } from '../src/ingestion/document-files.ts';
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
/** The ingest-document queue, as the producer makes it. */
let ingestQueue: Queue;

beforeAll(async () => {
  stack = await createTestStack('maintenance');
  ingestQueue = await stack.producer.queue('ingest-document');
  await runMigrations({
    connectionString: stack.database.url,
    tls: { mode: 'disable' },
    logger: silentLogger,
  });
  const ingest = ingestDocumentJob({
    db: stack.db,
    split: { chunkSize: 200, overlap: 0 },
    // Text documents only here: no file is ever read.
    files: createDocumentFiles({
      storage: undefined,
      limits: { timeoutMs: 10_000, memoryMb: 64, maxUnzippedBytes: 1024 ** 2 },
      concurrency: 1,
      maxFileBytes: 1024 ** 2,
    }),
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
  await ingestQueue.add('ingest-document', { taskId, documentId }, { jobId: taskId, attempts: 1 });
  const job = await worker.getNextJob('test-token');
  if (job?.id !== taskId) throw new Error(`expected job ${taskId}, fetched ${job?.id}`);
  if (outcome === 'completed')
    await job.moveToCompleted({ status: 'ready', chunkCount: 3 }, 'test-token', false);
  else await job.moveToFailed(new Error('boom'), 'test-token', false);
}

const row = async (id: string) => (await stack.db.select().from(tasks).where(eq(tasks.id, id)))[0];

describe('the maintenance job', () => {
  it('purges old finished tasks with their queue entries, heals lost and orphaned tasks, and is idempotent', async () => {
    // Jobs in a final state first: the hand-made worker takes the oldest waiting job.
    const completedQueued = await task({ status: 'queued', ageMs: 10 * MINUTE });
    await finishedJob(completedQueued, randomUUID(), 'completed');
    const failedRunning = await task({ status: 'running', ageMs: 2 * MINUTE });
    await finishedJob(failedRunning, randomUUID(), 'failed');

    // Purge: old finished tasks go (with their jobs), recent ones stay.
    const oldSucceeded = await task({ status: 'succeeded', ageMs: 40 * DAY });
    await ingestQueue.add(
      'ingest-document',
      { taskId: oldSucceeded, documentId: randomUUID() },
      { jobId: oldSucceeded },
    );
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
    expect(report).toEqual({
      purged: 3,
      requeued: 1,
      failed: 2,
      reconciled: 2,
      orphanedObjects: 0,
      abandonedUploads: 0,
    });

    for (const id of [oldSucceeded, oldFailed, oldCancelled]) expect(await row(id)).toBeUndefined();
    expect(await ingestQueue.getJob(oldSucceeded)).toBeUndefined();
    expect(await row(recentSucceeded)).toMatchObject({ status: 'succeeded' });

    expect(await row(orphan)).toMatchObject({ status: 'queued' });
    expect((await ingestQueue.getJob(orphan))?.data).toEqual({
      taskId: orphan,
      documentId: orphanDocument,
    });
    expect(await ingestQueue.getJobState(orphan)).toBe('prioritized');
    for (const id of [withJob, young, unknownType, otherConsumer]) {
      expect(await row(id)).toMatchObject({ status: 'queued' });
    }
    expect(await (await stack.producer.queue('agent-run')).getJob(otherConsumer)).toBeUndefined();
    expect(await ingestQueue.getJob(young)).toBeUndefined();
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
    expect(await runMaintenance(deps, policy)).toEqual({
      purged: 0,
      requeued: 0,
      failed: 0,
      reconciled: 0,
      orphanedObjects: 0,
      abandonedUploads: 0,
    });
    expect((await ingestQueue.getJobs(['prioritized'])).filter((job) => job.id === orphan)).toHaveLength(1);
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
    expect(await ingestQueue.getJobState(orphan)).toBe('prioritized');
  });
});

describe('the maintenance job on object storage', () => {
  let storage: ObjectStorage;
  let endpoint: string;
  const storageOptions = (bucket: string, url: string) => ({
    bucket,
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    keyPrefix: 'documents/',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    connectTimeoutMs: 500,
  });
  let bucket: string;

  beforeAll(async () => {
    const created = await createTestBucket('maintenance');
    bucket = created.bucket;
    endpoint = created.endpoint;
    storage = createObjectStorage(storageOptions(bucket, endpoint));
  });
  afterAll(() => storage?.close());

  const put = (key: string) =>
    storage.upload(key, Readable.from(['%PDF-1.7']), { contentType: 'application/pdf' });
  const exists = async (key: string) => {
    const object = await storage.open(key);
    object?.body.destroy();
    return object !== undefined;
  };

  it('deletes stored files no document refers to, keeps referenced and recent ones, aborts abandoned uploads', async () => {
    const referencedKey = storage.keyFor('owner', randomUUID());
    await stack.db.insert(documents).values({
      ownerId: 'owner',
      title: 'kept',
      content: '',
      contentHash: 'h',
      objectKey: referencedKey,
      mediaType: 'application/pdf',
      fileName: 'kept.pdf',
      byteSize: 8,
    });
    const orphanKey = storage.keyFor('owner', randomUUID());
    const outsideKey = 'elsewhere/not-ours';
    for (const key of [referencedKey, orphanKey, outsideKey]) await put(key);

    // Within the grace period nothing is touched: an upload's row may be about to commit.
    const fresh = await runMaintenance({ ...deps, storage }, { ...policy, orphanGraceMs: 60 * MINUTE });
    expect(fresh).toMatchObject({ orphanedObjects: 0 });
    expect(await exists(orphanKey)).toBe(true);

    // An upload the api began and never finished (a crash mid-file). Made after the run above:
    // moto dates every multipart upload 2010-11-10, so it is never "recent" here.
    await fetch(`${endpoint}/${bucket}/${storage.keyFor('owner', randomUUID())}?uploads`, { method: 'POST' });

    const swept = await runMaintenance({ ...deps, storage }, { ...policy, orphanGraceMs: 0 });
    expect(swept).toMatchObject({ orphanedObjects: 1, abandonedUploads: 1 });
    expect(await exists(orphanKey)).toBe(false);
    expect(await exists(referencedKey)).toBe(true);
    expect(await exists(outsideKey)).toBe(true); // outside S3_KEY_PREFIX: never listed
    expect(await runMaintenance({ ...deps, storage }, { ...policy, orphanGraceMs: 0 })).toMatchObject({
      orphanedObjects: 0,
      abandonedUploads: 0,
    });
  });

  it('skips the sweep with a warning while the storage server is unreachable, and does the rest', async () => {
    const proxy = await createTcpProxy(endpoint);
    const unreachable = createObjectStorage(storageOptions(bucket, proxy.url(endpoint)));
    try {
      await proxy.cut();
      const orphan = await task({
        status: 'queued',
        ageMs: 10 * MINUTE,
        input: { documentId: randomUUID() },
      });
      const report = await runMaintenance({ ...deps, storage: unreachable }, { ...policy, orphanGraceMs: 0 });
      expect(report).toMatchObject({ requeued: 1, orphanedObjects: 0 });
      expect(await ingestQueue.getJobState(orphan)).toBe('prioritized');
    } finally {
      unreachable.close();
      await proxy.close();
    }
  });
});
