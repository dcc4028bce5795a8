import { chunks, documents, tasks, type Task } from '@repo/db';
import { publishCancellation } from '@repo/queue';
import { waitFor } from '@repo/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRunner, sample, type TestRunner } from './support/test-runner.ts';
import { createTestStack, documentText, type TestStack } from './support/test-stack.ts';

/**
 * How a job's run ends, through the real ingest-document processor. A job is made slow by
 * locking its document's row from the test: the ingestion waits for the lock inside its
 * transaction, exactly as it would behind a concurrent run of the same document.
 */
const TIMEOUT_MS = 1_000;
let stack: TestStack;
let t: TestRunner;

beforeAll(async () => {
  stack = await createTestStack('lifecycle');
  t = await createTestRunner({
    stack,
    env: { INGEST_TIMEOUT_MS: String(TIMEOUT_MS), SHUTDOWN_TIMEOUT_MS: '1000', DATABASE_POOL_MAX: '8' },
  });
  await t.startLeading();
});
afterAll(async () => {
  await t?.close();
  await stack?.close();
});

async function insertDocument(tag: string) {
  const [document] = await stack.db
    .insert(documents)
    .values({ ownerId: 'owner', title: tag, content: documentText(6, tag), contentHash: 'h' })
    .returning();
  const [task] = await stack.db
    .insert(tasks)
    .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId: document!.id } })
    .returning();
  return { documentId: document!.id, taskId: task!.id };
}

/** Resolves once no session of the test database waits for a lock any more. */
async function locksSettled() {
  await waitFor(
    async () => {
      const waiting = await stack.db.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return waiting.rows[0]!.n === 0;
    },
    { what: 'no session waiting for a lock' },
  );
}

const metric = (name: string, labels: Record<string, string>) => sample(t.metrics, name, labels);

describe('a job run', () => {
  it('that times out is retried with exponential backoff, then fails with its error; its abandoned runs never commit', async () => {
    const { documentId, taskId } = await insertDocument('timeout');
    const lock = await stack.lockDocument(documentId);
    const backoffMs = 300;
    await (
      await stack.producer.queue('ingest-document')
    ).add(
      'ingest-document',
      { taskId, documentId },
      { jobId: taskId, attempts: 3, backoff: { type: 'exponential', delay: backoffMs } },
    );

    // The start of every attempt, as mirrored in the task row.
    const starts = new Map<number, number>();
    const final = await waitFor(
      async () => {
        const row = (await stack.task(taskId)) as Task;
        if (row.status === 'running' && !starts.has(row.attempts))
          starts.set(row.attempts, row.updatedAt.getTime());
        return row.status === 'failed' ? row : undefined;
      },
      { what: 'task failed after its last attempt', timeoutMs: 20_000, intervalMs: 25 },
    );

    expect(final).toMatchObject({ status: 'failed', attempts: 3, error: `timed out after ${TIMEOUT_MS} ms` });
    expect(final.finishedAt).toBeInstanceOf(Date);
    expect([...starts.keys()]).toEqual([1, 2, 3]);
    // Each retry starts after the timeout plus an exponentially growing delay (300 ms, then 600 ms).
    expect(starts.get(2)! - starts.get(1)!).toBeGreaterThanOrEqual(TIMEOUT_MS + backoffMs - 50);
    expect(starts.get(3)! - starts.get(2)!).toBeGreaterThanOrEqual(TIMEOUT_MS + 2 * backoffMs - 50);

    // The final-failure hook tells the document's owner; it waits for the row like everyone else,
    // and the job is failed in BullMQ once the hook is done.
    await lock.release();
    const queue = await stack.producer.queue('ingest-document');
    await waitFor(async () => (await queue.getJobState(taskId)) === 'failed', { what: 'job failed' });
    expect(await queue.getJob(taskId)).toMatchObject({
      attemptsMade: 3,
      failedReason: `timed out after ${TIMEOUT_MS} ms`,
    });
    await locksSettled();
    const [document] = await stack.db.select().from(documents).where(eq(documents.id, documentId));
    expect(document).toMatchObject({ status: 'failed', error: `timed out after ${TIMEOUT_MS} ms` });
    // The three timed-out runs got the row after the test let it go, and all rolled back.
    expect(await stack.db.$count(chunks, eq(chunks.documentId, documentId))).toBe(0);

    const labels = { queue: 'ingest-document' };
    expect(await metric('bullmq_job_retries_total', labels)).toBe(2);
    expect(await metric('bullmq_job_failures_total', labels)).toBe(1);
    expect(await metric('bullmq_job_duration_seconds_count', { ...labels, outcome: 'retrying' })).toBe(2);
  });

  it('whose task is cancelled (api marks the row, then publishes) ends cancelled, without a retry', async () => {
    const { documentId, taskId } = await insertDocument('cancel');
    const lock = await stack.lockDocument(documentId);
    await stack.producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId });
    await waitFor(async () => (await stack.task(taskId))?.status === 'running', { what: 'job running' });

    await stack.db
      .update(tasks)
      .set({ status: 'cancelled', finishedAt: new Date() })
      .where(eq(tasks.id, taskId));
    await publishCancellation(t.connections.redis.queue, t.config.QUEUE_PREFIX, taskId);

    const queue = await stack.producer.queue('ingest-document');
    await waitFor(async () => (await queue.getJobState(taskId)) === 'failed', { what: 'job ended' });
    const job = await queue.getJob(taskId);
    // The contract allows 5 attempts; a cancelled job uses one and is not retried.
    expect(job).toMatchObject({ attemptsMade: 1 });
    expect(job!.failedReason).toMatch(/^cancelled/);
    expect(await stack.task(taskId)).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(
      await metric('bullmq_job_duration_seconds_count', { queue: 'ingest-document', outcome: 'cancelled' }),
    ).toBe(1);
    expect(await metric('bullmq_job_failures_total', { queue: 'ingest-document' })).toBe(1); // the timeout's, not this

    await lock.release();
    await locksSettled();
    expect(await stack.db.$count(chunks, eq(chunks.documentId, documentId))).toBe(0);
  });

  it('cancelled by a message alone still ends its task cancelled', async () => {
    const { documentId, taskId } = await insertDocument('cancel-message-only');
    const lock = await stack.lockDocument(documentId);
    await stack.producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId });
    await waitFor(async () => (await stack.task(taskId))?.status === 'running', { what: 'job running' });

    await publishCancellation(t.connections.redis.queue, t.config.QUEUE_PREFIX, taskId);
    const row = await waitFor(
      async () => {
        const current = await stack.task(taskId);
        return current?.status === 'cancelled' ? current : undefined;
      },
      { what: 'task cancelled' },
    );
    expect(row.finishedAt).toBeInstanceOf(Date);
    await lock.release();
    await locksSettled();
  });

  it('still busy when the shutdown budget is spent is handed back: not failed, no attempt used, run by the next leader', async () => {
    // A runner whose jobs may take long, so the shutdown budget (1 s) runs out first.
    await t.runner.stop();
    const patient = await createTestRunner({
      stack,
      env: { SHUTDOWN_TIMEOUT_MS: '1000', INGEST_TIMEOUT_MS: '60000', DATABASE_POOL_MAX: '8' },
    });
    await patient.startLeading();
    const { documentId, taskId } = await insertDocument('handback');
    const lock = await stack.lockDocument(documentId);
    // Its only attempt: before the fix, an abort on shutdown failed the job for good.
    await (
      await stack.producer.queue('ingest-document')
    ).add('ingest-document', { taskId, documentId }, { jobId: taskId, attempts: 1 });
    await waitFor(async () => (await stack.task(taskId))?.status === 'running', { what: 'job running' });

    await patient.close();
    const queue = await stack.producer.queue('ingest-document');
    expect(await queue.getJobState(taskId)).toBe('waiting');
    expect(await queue.getJob(taskId)).toMatchObject({ attemptsMade: 0 });
    expect(await stack.task(taskId)).toMatchObject({
      status: 'queued',
      attempts: 1,
      error: null,
      finishedAt: null,
    });
    const interrupted = { queue: 'ingest-document', outcome: 'interrupted' };
    expect(await sample(patient.metrics, 'bullmq_job_duration_seconds_count', interrupted)).toBe(1);
    expect(await sample(patient.metrics, 'task_runner_leader')).toBe(0);

    await lock.release();
    await locksSettled();
    const next = await createTestRunner({ stack });
    try {
      await next.startLeading();
      const row = await waitFor(
        async () => {
          const current = await stack.task(taskId);
          return current?.status === 'succeeded' ? current : undefined;
        },
        { what: 'task run by the next leader' },
      );
      expect(row).toMatchObject({ attempts: 1, error: null });
      expect(await stack.db.$count(chunks, eq(chunks.documentId, documentId))).toBeGreaterThan(0);
    } finally {
      await next.close();
    }
  });
});
