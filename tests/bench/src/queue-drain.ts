import { randomUUID } from 'node:crypto';
import { createProducer, createRedis } from '@repo/queue';
import { uniqueId, waitFor } from '@repo/testing';
import { Worker, type Queue } from 'bullmq';
import { startCpuMeasure, type CpuClocks, type CpuPerJob } from './cpu-meter.ts';
import { eachParallel } from './runner-target.ts';

export const QUEUE = 'ingest-document';

export interface QueueRound {
  /** From resuming the queue (or starting the statements) to the last job's completion. */
  elapsedMs: number;
  jobsPerSecond: number;
  /** CPU ms per job of the subject's process, Postgres and Redis, where they could be read. */
  cpuMsPerJob: CpuPerJob;
}

/**
 * Resumes a paused queue holding `jobs` waiting jobs and measures until the last one completed.
 * Enqueueing happened before, paused, so only processing is timed; the end is read from the jobs
 * themselves (BullMQ's finishedOn), so the polling interval does not blur it. Completed jobs are
 * cleaned up after.
 */
export async function drain(queue: Queue, jobs: number, clocks: CpuClocks): Promise<QueueRound> {
  const counts = () => queue.getJobCounts('completed', 'failed', 'delayed');
  const before = (await counts()).completed ?? 0;
  const cpu = startCpuMeasure(clocks);
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
    { timeoutMs: 180_000, intervalMs: 25, what: `${jobs} completed ${queue.name} jobs` },
  );
  const cpuMsPerJob = cpu(jobs);
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
  return { elapsedMs, jobsPerSecond: (jobs * 1_000) / elapsedMs, cpuMsPerJob };
}

export interface WorkerSettings {
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
}

/**
 * The first baseline: a BullMQ worker whose processor does nothing, on the same Redis, fed through
 * the same producer (@repo/queue: payload validation, retry policy, retention) with the same job
 * kind and worker settings. What remains is BullMQ's own cost per job: fetch, lock, complete.
 */
export async function startNoopWorker(redisUrl: string, settings: WorkerSettings) {
  const prefix = uniqueId('bench-noop');
  const producerRedis = createRedis(redisUrl, 'producer', 'bench-noop-producer');
  const workerRedis = createRedis(redisUrl, 'worker', 'bench-noop-worker');
  await waitFor(() => producerRedis.status === 'ready', { what: 'redis connection' });
  const producer = createProducer({ connection: producerRedis, prefix });
  const queue = await producer.queue(QUEUE);
  const worker = new Worker(QUEUE, async () => {}, { connection: workerRedis, prefix, ...settings });
  await worker.waitUntilReady();
  return {
    /** `places`: each job enqueued with its place in one owner's line, 1, 2, 3, … (its priority). */
    async round(jobs: number, clocks: CpuClocks, { places = false } = {}): Promise<QueueRound> {
      await queue.pause();
      const ids = Array.from({ length: jobs }, randomUUID);
      const place = new Map(ids.map((id, i) => [id, i + 1]));
      await eachParallel(ids, 8, (taskId) =>
        producer.enqueue(
          QUEUE,
          { taskId, documentId: randomUUID() },
          { jobId: taskId, ownerPlace: places ? place.get(taskId) : undefined },
        ),
      );
      return drain(queue, jobs, clocks);
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
