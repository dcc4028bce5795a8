import { randomUUID } from 'node:crypto';
import { chunks, documents, tasks } from '@repo/db';
import { waitFor } from '@repo/testing';
import { asc, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentIngestion } from '../src/ingestion/ingest-document.ts';
import { splitText } from '../src/ingestion/text-splitter.ts';
import { buildHealthServer } from '../src/health/health-server.ts';
import { createTestRunner, sample, silentLogger, type TestRunner } from './support/test-runner.ts';

let t: TestRunner;

beforeAll(async () => {
  t = await createTestRunner({ env: { CHUNK_SIZE: '200', CHUNK_OVERLAP: '40' } });
  await t.startLeading();
});
afterAll(async () => {
  await t?.close();
});

const paragraphs = Array.from(
  { length: 10 },
  (_, i) => `Paragraph ${i} explains one idea in a few sentences. It has a second sentence. And a third one.`,
).join('\n\n');

describe('the ingest-document job', () => {
  it('applied the migrations before starting its workers', () => {
    expect(t.runner.status()).toMatchObject({
      ready: true,
      role: 'leader',
      phase: 'running',
      migrations: { state: 'applied', applied: expect.arrayContaining(['0000_enable_pgvector']) },
      workers: {
        running: true,
        queues: ['ingest-document', 'agent-run', 'summarize-conversation', 'reap-runs', 'maintenance'],
      },
    });
  });

  it('is processed by a real worker: chunks stored, document ready, task succeeded', async () => {
    const { documentId, taskId } = await t.submitDocument(paragraphs);

    const document = await waitFor(
      async () => {
        const [row] = await t.db.select().from(documents).where(eq(documents.id, documentId));
        return row?.status === 'ready' ? row : undefined;
      },
      { what: 'document ready' },
    );
    expect(document.error).toBeNull();

    const stored = await t.db
      .select()
      .from(chunks)
      .where(eq(chunks.documentId, documentId))
      .orderBy(asc(chunks.ordinal));
    expect(stored.length).toBeGreaterThan(3);
    expect(stored.map((chunk) => chunk.ordinal)).toEqual(stored.map((_, i) => i));
    for (const chunk of stored) expect(chunk.content.length).toBeLessThanOrEqual(200);

    const [task] = await t.db.select().from(tasks).where(eq(tasks.id, taskId));
    expect(task).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      result: { status: 'ready', chunkCount: stored.length },
    });
    expect(task?.startedAt).toBeInstanceOf(Date);
    expect(task?.finishedAt).toBeInstanceOf(Date);
  });

  it('leaves one set of chunks when the same job runs twice', async () => {
    const { documentId, taskId } = await t.submitDocument(paragraphs);
    await waitFor(
      async () => (await t.db.select().from(tasks).where(eq(tasks.id, taskId)))[0]?.status === 'succeeded',
    );
    const once = await t.db.$count(chunks, eq(chunks.documentId, documentId));

    // Redelivery of the same job (at-least-once): run the processor's domain step again, twice at once.
    const ingest = documentIngestion(t.db);
    await Promise.all([
      ingest(documentId, { chunkSize: 200, overlap: 40 }),
      ingest(documentId, { chunkSize: 200, overlap: 40 }),
    ]);
    expect(await t.db.$count(chunks, eq(chunks.documentId, documentId))).toBe(once);

    // A second job for the same document, through the queue.
    const [task] = await t.db
      .insert(tasks)
      .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId } })
      .returning();
    await t.producer.enqueue('ingest-document', { taskId: task!.id, documentId }, { jobId: task!.id });
    await waitFor(
      async () => (await t.db.select().from(tasks).where(eq(tasks.id, task!.id)))[0]?.status === 'succeeded',
    );
    expect(await t.db.$count(chunks, eq(chunks.documentId, documentId))).toBe(once);
  });

  it('stores more chunks than one statement used to hold, in order, their text exactly as split', async () => {
    // Characters an array literal must escape, and the word NULL, which unquoted would be a null.
    const tricky = ['quote " and \\ backslash', '{braces}, commas', 'NULL', "it's", 'émoji 🧭', '\t tab'];
    const content = Array.from(
      { length: 2_000 },
      (_, i) => `Line ${i}: ${tricky[i % tricky.length]} is kept as written.`,
    ).join('\n\n');
    const { documentId, taskId } = await t.submitDocument(content);
    await waitFor(async () => (await t.task(taskId))?.status === 'succeeded', { what: 'task succeeded' });

    const stored = await t.db
      .select({ ordinal: chunks.ordinal, content: chunks.content })
      .from(chunks)
      .where(eq(chunks.documentId, documentId))
      .orderBy(asc(chunks.ordinal));
    const expected = splitText(content, { chunkSize: 200, overlap: 40 });
    // More than the 500 rows per statement the chunks were once inserted in.
    expect(expected.length).toBeGreaterThan(500);
    expect(stored).toEqual(expected.map((text, ordinal) => ({ ordinal, content: text })));
  });

  it("commits the chunks, the document's status and the task's outcome together", async () => {
    const [document] = await t.db
      .insert(documents)
      .values({ ownerId: 'owner', title: 'together', content: paragraphs, contentHash: 'h' })
      .returning();
    const documentId = document!.id;
    const [task] = await t.db
      .insert(tasks)
      .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId } })
      .returning();
    const taskId = task!.id;
    // The ingestion waits for the document's row; then its task's row is held too, so the job
    // has written its chunks but cannot record its outcome yet.
    const documentLock = await t.lockDocument(documentId);
    await t.producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId });
    await waitFor(async () => (await t.task(taskId))?.status === 'running', { what: 'job running' });
    const taskLock = new pg.Client({ connectionString: t.database.url });
    await taskLock.connect();
    try {
      await taskLock.query('begin');
      await taskLock.query('select id from tasks where id = $1 for update', [taskId]);
      await documentLock.release();
      // Asked on the pool, outside the lock holder's transaction: Postgres shows a transaction
      // the sessions' activity as it was at its first look, for as long as the transaction lasts
      // (asked inside it, a first look before the ingestion got there would never change).
      await waitFor(
        async () => {
          const { rows } = await t.db.execute<{ waiting: boolean }>(
            sql`select count(*) > 0 as waiting from pg_stat_activity
                 where datname = current_database() and wait_event_type = 'Lock' and query like 'update "tasks"%'`,
          );
          return rows[0]!.waiting;
        },
        { what: "the ingestion waiting to write its task's outcome" },
      );
      // Nothing of the ingestion is visible while its last write waits.
      expect(await t.db.$count(chunks, eq(chunks.documentId, documentId))).toBe(0);
      const [meanwhile] = await t.db.select().from(documents).where(eq(documents.id, documentId));
      expect(meanwhile?.status).not.toBe('ready');
      await taskLock.query('commit');
    } finally {
      await taskLock.end();
    }
    await waitFor(async () => (await t.task(taskId))?.status === 'succeeded', { what: 'task succeeded' });
    const [after] = await t.db.select().from(documents).where(eq(documents.id, documentId));
    expect(after?.status).toBe('ready');
    expect(await t.db.$count(chunks, eq(chunks.documentId, documentId))).toBeGreaterThan(3);
  });

  it('skips, without failing, a job whose document no longer exists', async () => {
    const taskId = randomUUID();
    await t.db.insert(tasks).values({ id: taskId, ownerId: 'owner', type: 'ingest-document', input: {} });
    await t.producer.enqueue('ingest-document', { taskId, documentId: randomUUID() }, { jobId: taskId });
    const task = await waitFor(async () => {
      const [row] = await t.db.select().from(tasks).where(eq(tasks.id, taskId));
      return row?.status === 'succeeded' ? row : undefined;
    });
    expect(task.result).toEqual({ status: 'skipped', reason: 'document-not-found' });
  });

  it('fails a job with an invalid payload at once, without retries', async () => {
    const queue = await t.producer.queue('ingest-document');
    const job = await queue.add('ingest-document', { documentId: 'nope' }, { attempts: 5 });
    await waitFor(async () => (await job.getState()) === 'failed', { what: 'job failed' });
    const failed = await queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/^invalid payload/);
  });
});

describe('the metrics of a running task-runner', () => {
  it('serve queue depth read from Redis, job durations and the leader gauge at /metrics', async () => {
    const { taskId } = await t.submitDocument(paragraphs);
    await waitFor(
      async () => (await t.db.select().from(tasks).where(eq(tasks.id, taskId)))[0]?.status === 'succeeded',
    );
    const health = await buildHealthServer({
      status: () => t.runner.status(),
      metrics: t.metrics,
      logger: silentLogger,
    });
    try {
      const response = await health.inject('/metrics');
      expect(response.statusCode).toBe(200);
      const completed = await sample(t.metrics, 'bullmq_job_count', {
        queue: 'ingest-document',
        state: 'completed',
      });
      expect(completed).toBeGreaterThanOrEqual(1);
      expect(response.body).toMatch(
        /bullmq_job_count\{queue="ingest-document",state="waiting",service="task-runner"\} \d+/,
      );
      expect(response.body).toMatch(
        /bullmq_job_count\{queue="maintenance",state="delayed",service="task-runner"\} 1/,
      );
      expect(
        await sample(t.metrics, 'bullmq_job_duration_seconds_count', {
          queue: 'ingest-document',
          outcome: 'completed',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(await sample(t.metrics, 'task_runner_leader')).toBe(1);
    } finally {
      await health.close();
    }
  });
});
