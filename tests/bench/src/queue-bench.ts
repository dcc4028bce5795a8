import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, documents, tasks, type Pool } from '@repo/db';
import { createProducer, createRedis, retention } from '@repo/queue';
import { uniqueId, waitFor } from '@repo/testing';
import { Worker, type Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { inject } from 'vitest';
import { documentText } from '../../../apps/task-runner/test/support/test-stack.ts';
import {
  monotonicUs,
  readProfile,
  summarizeProfile,
  type ProfileSummary,
  type ProfileWindow,
} from './cpu-profile.ts';
import {
  captureIngestStatements,
  describeStatements,
  replayJob,
  type JobStatements,
} from './job-statements.ts';
import {
  eachParallel,
  startRunnerTarget,
  type RunnerTarget,
  type SubmittedDocument,
} from './runner-target.ts';
import { pairedRatios, type Spread } from './stats.ts';

const QUEUE = 'ingest-document';

export interface QueueLoad {
  /** Jobs queued, then processed, in each round. */
  jobs: number;
  /** Rounds of the baselines and the subject in turn. */
  rounds: number;
  /**
   * Profile the runner process (`--cpu-prof`) and summarize the samples of its ingest rounds. The
   * profiler slows it down, so these are not the runs to publish ratios from.
   */
  cpuProfile?: boolean;
}

export interface QueueRound {
  /** From resuming the queue (or starting the statements) to the last job's completion. */
  elapsedMs: number;
  jobsPerSecond: number;
}

export interface QueueResult {
  /** Per round. */
  jobs: number;
  /** Jobs processed at once (the runner's INGEST_CONCURRENCY, for all three). */
  concurrency: number;
  /** Every job of every round over their total time. */
  jobsPerSecond: number;
  rounds: QueueRound[];
}

export interface QueueRow {
  name: string;
  baseline: boolean;
  result: QueueResult;
  /**
   * Round by round: a baseline ÷ itself (1); the runner ÷ the lower of the two baselines of the
   * same round (the nearer physical limit), and ÷ each of them.
   */
  ratio: { jobsPerSecond: Spread; vsNoop?: Spread; vsSql?: Spread };
}

/** What one ingest-document job sends to Postgres, as captured from the code. */
export interface JobSql {
  roundTrips: number;
  transactions: number;
  sql: string[];
}

export interface QueueReport {
  rows: QueueRow[];
  jobSql: JobSql;
  /** The runner process's CPU profile over the measured ingest rounds (with `cpuProfileDir`). */
  profile?: ProfileSummary & { file: string };
}

/** The runner's log file and CPU profiles go here (git-ignored, like latest.json). */
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/**
 * Resumes a paused queue holding `jobs` waiting jobs and measures until the last one completed.
 * Enqueueing happened before, paused, so only processing is timed; the end is read from the jobs
 * themselves (BullMQ's finishedOn), so the polling interval does not blur it. Completed jobs are
 * cleaned up after.
 */
async function drain(queue: Queue, jobs: number): Promise<QueueRound & ProfileWindow> {
  const counts = () => queue.getJobCounts('completed', 'failed', 'delayed');
  const before = (await counts()).completed ?? 0;
  const startUs = monotonicUs();
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
  return {
    elapsedMs,
    jobsPerSecond: (jobs * 1_000) / elapsedMs,
    startUs,
    endUs: startUs + elapsedMs * 1_000,
  };
}

interface WorkerSettings {
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
}

/**
 * The first baseline: a BullMQ worker whose processor does nothing, on the same Redis, fed through
 * the same producer (@repo/queue: payload validation, retry policy, retention) with the same job
 * kind and worker settings. What remains is BullMQ's own cost per job: fetch, lock, complete.
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
      await eachParallel(Array.from({ length: jobs }, randomUUID), 8, (taskId) =>
        producer.enqueue(QUEUE, { taskId, documentId: randomUUID() }, { jobId: taskId }),
      );
      const { elapsedMs, jobsPerSecond } = await drain(queue, jobs);
      return { elapsedMs, jobsPerSecond };
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

/**
 * The second baseline: the statements one ingestion sends to Postgres (captured from the runner's
 * code), replayed with plain `pg` for fresh documents, as many jobs at once as the runner runs,
 * on a pool of the runner's size. What remains is Postgres' own cost per job.
 */
async function sqlRound(
  target: RunnerTarget,
  pool: Pool,
  job: JobStatements,
  submitted: readonly SubmittedDocument[],
): Promise<QueueRound> {
  const started = performance.now();
  await eachParallel(submitted, target.config.INGEST_CONCURRENCY, ({ documentId, taskId }) =>
    replayJob(pool, job, documentId, taskId),
  );
  const elapsedMs = Math.max(1, performance.now() - started);
  return { elapsedMs, jobsPerSecond: (submitted.length * 1_000) / elapsedMs };
}

function summary(jobs: number, concurrency: number, rounds: QueueRound[]): QueueResult {
  const totalMs = rounds.reduce((sum, round) => sum + round.elapsedMs, 0);
  return { jobs, concurrency, jobsPerSecond: (jobs * rounds.length * 1_000) / totalMs, rounds };
}

const rates = (result: QueueResult) => result.rounds.map((round) => round.jobsPerSecond);

function rows(noop: QueueResult, sql: QueueResult, ingest: QueueResult): QueueRow[] {
  const lower = rates(noop).map((rate, round) => Math.min(rate, rates(sql)[round]!));
  return [
    {
      name: 'no-op BullMQ worker',
      baseline: true,
      result: noop,
      ratio: { jobsPerSecond: pairedRatios(rates(noop), rates(noop)) },
    },
    {
      name: "raw pg: the job's statements",
      baseline: true,
      result: sql,
      ratio: { jobsPerSecond: pairedRatios(rates(sql), rates(sql)) },
    },
    {
      name: 'task-runner ingest-document',
      baseline: false,
      result: ingest,
      ratio: {
        jobsPerSecond: pairedRatios(rates(ingest), lower),
        vsNoop: pairedRatios(rates(ingest), rates(noop)),
        vsSql: pairedRatios(rates(ingest), rates(sql)),
      },
    },
  ];
}

/**
 * The task-runner as its image runs it (compiled, its own process, production settings, info
 * logs to a file) ingesting small documents, against its two physical limits measured in the same
 * run, round by round in turn: a no-op BullMQ worker (the queue's own cost) and plain `pg` issuing
 * the statements of one ingestion (Postgres' own cost). Each round queues `jobs` documents into a
 * paused queue (as the api submits them: document row, task row, job), resumes it and times the
 * drain. After the run every task must have succeeded and every document be `ready`, so a job that
 * skips its work cannot look fast.
 */
export async function measureQueue(load: QueueLoad, paragraphs = 10): Promise<QueueReport> {
  // Retention keeps this many completed jobs: a drain counts them.
  if (load.jobs > retention.removeOnComplete.count)
    throw new RangeError(`at most ${retention.removeOnComplete.count} jobs per round`);
  const content = documentText(paragraphs, 'bench');
  const job = await captureIngestStatements(content);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const target = await startRunnerTarget({
    serverUrl: inject('databaseUrl'),
    redisUrl: inject('redisUrl'),
    logDir: RESULTS_DIR,
    ...(load.cpuProfile ? { cpuProfileDir: join(RESULTS_DIR, 'profiles') } : {}),
  });
  const settings: WorkerSettings = {
    concurrency: target.config.INGEST_CONCURRENCY,
    lockDuration: target.config.JOB_LOCK_DURATION_MS,
    stalledInterval: target.config.JOB_STALLED_INTERVAL_MS,
  };
  // The runner's own pool settings (connections.ts), so the statements wait for connections alike.
  const sqlPool = createPool({
    connectionString: target.database.url,
    applicationName: 'bench-raw-pg',
    max: target.config.DATABASE_POOL_MAX,
    statementTimeoutMs: target.config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: target.config.DATABASE_CONNECT_TIMEOUT_MS,
    onError: () => {},
  });
  let noop: Awaited<ReturnType<typeof startNoopWorker>> | undefined;
  let profile: QueueReport['profile'];
  try {
    noop = await startNoopWorker(target.redisUrl, settings);
    const noopRounds: QueueRound[] = [];
    const sqlRounds: QueueRound[] = [];
    const ingestRounds: QueueRound[] = [];
    const windows: ProfileWindow[] = [];
    for (let round = 0; round < load.rounds; round++) {
      noopRounds.push(await noop.round(load.jobs));
      sqlRounds.push(await sqlRound(target, sqlPool, job, await target.insertDocuments(load.jobs, content)));
      await target.queue.pause();
      await target.enqueue(await target.insertDocuments(load.jobs, content));
      const { startUs, endUs, ...measured } = await drain(target.queue, load.jobs);
      ingestRounds.push(measured);
      windows.push({ startUs, endUs });
    }

    // Both kinds of rounds did the work: a replay that skipped it (or a job) cannot look fast.
    const expected = 2 * load.jobs * load.rounds;
    const ready = await target.db.$count(documents, eq(documents.status, 'ready'));
    const succeeded = await target.db.$count(tasks, eq(tasks.status, 'succeeded'));
    if (ready !== expected || succeeded !== expected) {
      throw new Error(`${succeeded}/${expected} tasks succeeded, ${ready}/${expected} documents ready`);
    }
    const exit = await target.stop();
    if (exit.code !== 0)
      throw new Error(`the task-runner exited with ${exit.code ?? exit.signal}\n${target.stderr()}`);
    if (exit.cpuProfile) {
      profile = { file: exit.cpuProfile, ...summarizeProfile(readProfile(exit.cpuProfile), { windows }) };
    }
    const concurrency = settings.concurrency;
    return {
      rows: rows(
        summary(load.jobs, concurrency, noopRounds),
        summary(load.jobs, concurrency, sqlRounds),
        summary(load.jobs, concurrency, ingestRounds),
      ),
      jobSql: describeStatements(job),
      ...(profile ? { profile } : {}),
    };
  } finally {
    await noop?.close();
    await sqlPool.end();
    await target.close();
  }
}
