import { randomUUID } from 'node:crypto';
import { documents, tasks } from '@repo/db';
import { createProducer, createRedis } from '@repo/queue';
import { uniqueId, waitFor } from '@repo/testing';
import { Worker, type Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
// The task-runner as its own tests run it in-process: its app factory on a stack of its own
// (database, queue prefix) whose producer enqueues the way the api does.
import { createTestRunner } from '../../../apps/task-runner/test/support/test-runner.ts';
import { documentText } from '../../../apps/task-runner/test/support/test-stack.ts';

const QUEUE = 'ingest-document';

export interface QueueLoad {
  /** Jobs queued, then processed, in each round. */
  jobs: number;
  /** Rounds of the baseline and the subject in turn. */
  rounds: number;
}

export interface QueueRound {
  /** From resuming the queue to the last job's completion (BullMQ's finishedOn). */
  elapsedMs: number;
  jobsPerSecond: number;
}

export interface QueueResult {
  /** Per round. */
  jobs: number;
  /** Jobs processed at once by the worker (the runner's INGEST_CONCURRENCY, for both). */
  concurrency: number;
  /** Every job of every round over their total time. */
  jobsPerSecond: number;
  rounds: QueueRound[];
}

export interface QueueComparison {
  baseline: QueueResult;
  ingest: QueueResult;
}

/**
 * Resumes a paused queue holding `jobs` waiting jobs and measures until the last one completed.
 * Enqueueing happened before, paused, so only processing is timed; the end is read from the jobs
 * themselves, so the polling interval does not blur it. Completed jobs are cleaned up after.
 */
async function drain(queue: Queue, jobs: number): Promise<QueueRound> {
  const counts = () => queue.getJobCounts('completed', 'failed', 'delayed');
  const before = (await counts()).completed ?? 0;
  const resumedAt = Date.now();
  await queue.resume();
  const { completed, failed, delayed } = await waitFor(
    async () => {
      const { completed = 0, failed = 0, delayed = 0 } = await counts();
      // A failed attempt is retried later (delayed): the run is no longer measuring the happy path.
      return completed - before >= jobs || failed > 0 || delayed > 0
        ? { completed: completed - before, failed, delayed }
        : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 25, what: `${jobs} completed ${queue.name} jobs` },
  );
  if (completed !== jobs) {
    const [job] = await queue.getJobs(['failed', 'delayed'], 0, 0);
    throw new Error(
      `${queue.name}: ${failed} failed, ${delayed} retrying, ${completed}/${jobs} completed` +
        (job ? `; e.g. job ${job.id}: ${job.failedReason}` : ''),
    );
  }
  const finished = (await queue.getJobs(['completed'], 0, -1)).map((job) => job.finishedOn ?? Number.NaN);
  const elapsedMs = Math.max(1, Math.max(...finished) - resumedAt);
  if (!Number.isFinite(elapsedMs)) throw new Error(`${queue.name}: completed jobs without finishedOn`);
  await queue.clean(0, 0, 'completed');
  return { elapsedMs, jobsPerSecond: (jobs * 1_000) / elapsedMs };
}

interface WorkerSettings {
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
}

/**
 * The baseline: a BullMQ worker whose processor does nothing, on the same Redis, fed through the
 * same producer (@repo/queue: payload validation, retry policy, retention) with the same job kind.
 * What remains is BullMQ's own cost per job: fetch, lock, complete, events.
 */
async function startNoopWorker(redisUrl: string, settings: WorkerSettings) {
  const prefix = uniqueId('bench-noop');
  const producerRedis = createRedis(redisUrl, 'producer', 'bench-noop-producer');
  const workerRedis = createRedis(redisUrl, 'worker', 'bench-noop-worker');
  await waitFor(() => producerRedis.status === 'ready', { what: 'redis connection' });
  const producer = createProducer({ connection: producerRedis, prefix });
  const queue = producer.queue(QUEUE);
  const worker = new Worker(QUEUE, async () => {}, { connection: workerRedis, prefix, ...settings });
  await worker.waitUntilReady();
  return {
    async round(jobs: number): Promise<QueueRound> {
      await queue.pause();
      for (let i = 0; i < jobs; i++) {
        const taskId = randomUUID();
        await producer.enqueue(QUEUE, { taskId, documentId: randomUUID() }, { jobId: taskId });
      }
      return drain(queue, jobs);
    },
    async close() {
      await worker.close();
      await queue.obliterate({ force: true });
      await producer.close();
      producerRedis.disconnect();
      workerRedis.disconnect();
    },
  };
}

/** Runs `submit` `count` times, `parallel` at a time. */
async function submitAll(submit: () => Promise<unknown>, count: number, parallel = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        next++;
        await submit();
      }
    }),
  );
}

function summary(jobs: number, concurrency: number, rounds: QueueRound[]): QueueResult {
  const totalMs = rounds.reduce((sum, round) => sum + round.elapsedMs, 0);
  return { jobs, concurrency, jobsPerSecond: (jobs * rounds.length * 1_000) / totalMs, rounds };
}

/**
 * The no-op baseline and the real task-runner (leading, every worker of its job table running)
 * in turn, round by round. The runner ingests small documents (submitted as the api does: document
 * row, task row, job): each job locks its document, splits it, stores its chunks and moves its
 * task row through running → succeeded in Postgres.
 */
export async function measureQueue(load: QueueLoad, paragraphs = 10): Promise<QueueComparison> {
  const t = await createTestRunner();
  const settings: WorkerSettings = {
    concurrency: t.config.INGEST_CONCURRENCY,
    lockDuration: t.config.JOB_LOCK_DURATION_MS,
    stalledInterval: t.config.JOB_STALLED_INTERVAL_MS,
  };
  let noop: Awaited<ReturnType<typeof startNoopWorker>> | undefined;
  try {
    noop = await startNoopWorker(t.redisUrl, settings);
    await t.startLeading();
    const queue = t.producer.queue(QUEUE);
    const content = documentText(paragraphs, 'bench');
    const baselineRounds: QueueRound[] = [];
    const ingestRounds: QueueRound[] = [];
    for (let round = 0; round < load.rounds; round++) {
      baselineRounds.push(await noop.round(load.jobs));
      await queue.pause();
      await submitAll(() => t.submitDocument(content), load.jobs);
      ingestRounds.push(await drain(queue, load.jobs));
    }

    // The jobs completed; check they did the work, so a job that skipped it cannot look fast.
    const expected = load.jobs * load.rounds;
    const succeeded = await t.db.$count(tasks, eq(tasks.status, 'succeeded'));
    const ready = await t.db.$count(documents, eq(documents.status, 'ready'));
    if (succeeded !== expected || ready !== expected) {
      throw new Error(
        `ingest: ${succeeded}/${expected} tasks succeeded, ${ready}/${expected} documents ready`,
      );
    }
    await t.runner.stop();
    await queue.obliterate({ force: true });
    return {
      baseline: summary(load.jobs, settings.concurrency, baselineRounds),
      ingest: summary(load.jobs, settings.concurrency, ingestRounds),
    };
  } finally {
    await noop?.close();
    await t.close();
  }
}
