import { mkdirSync } from 'node:fs';
import { createPool, documents, tasks, type Pool } from '@repo/db';
import { retention } from '@repo/queue';
import { eq } from 'drizzle-orm';
import { inject } from 'vitest';
import { documentText } from '../../../apps/task-runner/test/support/test-stack.ts';
import {
  containerCpu,
  ownCpu,
  processCpu,
  startCpuMeasure,
  type CpuClocks,
  type CpuPerJob,
} from './cpu-meter.ts';
import {
  captureIngestStatements,
  describeStatements,
  replayJob,
  type JobStatements,
} from './job-statements.ts';
import { drain, startNoopWorker, type QueueRound } from './queue-drain.ts';
import {
  eachParallel,
  startRunnerTarget,
  type RunnerTarget,
  type SubmittedDocument,
} from './runner-target.ts';
import { measureSplitter, type SplitterTiming } from './splitter-bench.ts';
import { pairedRatios, type Spread } from './stats.ts';

export interface QueueLoad {
  /** Jobs queued, then processed, in each round. */
  jobs: number;
  /** Rounds of the baselines and the subject in turn. */
  rounds: number;
}

export interface QueueResult {
  /** Per round. */
  jobs: number;
  /** Jobs processed at once (the runner's INGEST_CONCURRENCY, for all three). */
  concurrency: number;
  /** Every job of every round over their total time. */
  jobsPerSecond: number;
  /** The rounds' CPU ms per job, averaged. */
  cpuMsPerJob: CpuPerJob;
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
  /** splitText on 1 MB of text of several shapes (not part of the ratios). */
  splitText: SplitterTiming[];
}

export const QUEUE_SUBJECTS = {
  noop: 'no-op BullMQ worker',
  sql: "raw pg: the job's statements",
  ingest: 'task-runner ingest-document',
} as const;

/**
 * The second baseline: the statements one ingestion sends to Postgres (captured from the runner's
 * code), replayed with plain `pg` for fresh documents, as many jobs at once as the runner runs, on
 * a pool of the runner's size. What remains is Postgres' own cost per job.
 */
async function sqlRound(
  target: RunnerTarget,
  pool: Pool,
  job: JobStatements,
  submitted: readonly SubmittedDocument[],
  clocks: CpuClocks,
): Promise<QueueRound> {
  const cpu = startCpuMeasure(clocks);
  const started = performance.now();
  await eachParallel(submitted, target.config.INGEST_CONCURRENCY, ({ documentId, taskId }) =>
    replayJob(pool, job, documentId, taskId),
  );
  const elapsedMs = Math.max(1, performance.now() - started);
  return {
    elapsedMs,
    jobsPerSecond: (submitted.length * 1_000) / elapsedMs,
    cpuMsPerJob: cpu(submitted.length),
  };
}

function summary(jobs: number, concurrency: number, rounds: QueueRound[]): QueueResult {
  const totalMs = rounds.reduce((sum, round) => sum + round.elapsedMs, 0);
  const cpuMsPerJob: CpuPerJob = {};
  for (const key of ['process', 'postgres', 'redis'] as const) {
    const values = rounds.map((round) => round.cpuMsPerJob[key]);
    if (values.every((value) => value !== undefined)) {
      cpuMsPerJob[key] = values.reduce((sum, value) => sum + value, 0) / values.length;
    }
  }
  return { jobs, concurrency, jobsPerSecond: (jobs * rounds.length * 1_000) / totalMs, cpuMsPerJob, rounds };
}

const rates = (result: QueueResult) => result.rounds.map((round) => round.jobsPerSecond);

function rows(noop: QueueResult, sql: QueueResult, ingest: QueueResult): QueueRow[] {
  const lower = rates(noop).map((rate, round) => Math.min(rate, rates(sql)[round]!));
  const itself = (result: QueueResult) => ({ jobsPerSecond: pairedRatios(rates(result), rates(result)) });
  return [
    { name: QUEUE_SUBJECTS.noop, baseline: true, result: noop, ratio: itself(noop) },
    { name: QUEUE_SUBJECTS.sql, baseline: true, result: sql, ratio: itself(sql) },
    {
      name: QUEUE_SUBJECTS.ingest,
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
 * The task-runner as its image runs it (compiled, its own process, production settings, info logs
 * to a file) ingesting small documents, against its two physical limits measured in the same run,
 * round by round in turn: a no-op BullMQ worker (the queue's own cost) and plain `pg` issuing the
 * statements of one ingestion (Postgres' own cost). Each round queues `jobs` documents into a
 * paused queue (as the api submits them: document row, task row, job), resumes it and times the
 * drain. After the run every task must have succeeded and every document be `ready`, so a job (or
 * a replay) that skips its work cannot look fast.
 */
export async function measureQueue(load: QueueLoad, logDir: string, paragraphs = 10): Promise<QueueReport> {
  // Retention keeps this many completed jobs: a drain counts them.
  const kept = retention.removeOnComplete.count;
  if (load.jobs > kept) throw new RangeError(`at most ${kept} jobs per round`);
  const content = documentText(paragraphs, 'bench');
  const job = await captureIngestStatements(content);
  mkdirSync(logDir, { recursive: true });
  const target = await startRunnerTarget({
    serverUrl: inject('databaseUrl'),
    redisUrl: inject('redisUrl'),
    logDir,
  });
  // The runner's own pool settings (connections.ts), so the statements wait for connections alike.
  const sqlPool = createPool({
    connectionString: target.database.url,
    tls: { mode: 'disable' },
    applicationName: 'bench-raw-pg',
    max: target.config.DATABASE_POOL_MAX,
    statementTimeoutMs: target.config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: target.config.DATABASE_CONNECT_TIMEOUT_MS,
    onError: () => {},
  });
  const settings = {
    concurrency: target.config.INGEST_CONCURRENCY,
    lockDuration: target.config.JOB_LOCK_DURATION_MS,
    stalledInterval: target.config.JOB_STALLED_INTERVAL_MS,
  };
  let noop: Awaited<ReturnType<typeof startNoopWorker>> | undefined;
  try {
    noop = await startNoopWorker(target.redisUrl, settings);
    // CPU per job, beside the rates: the baselines run in this process, the runner in its own.
    const postgres = await containerCpu(new URL(target.database.url).port);
    const redis = await containerCpu(new URL(target.redisUrl).port);
    const here: CpuClocks = { process: ownCpu, postgres, redis };
    const runner: CpuClocks = { process: processCpu(target.service.pid), postgres, redis };
    const noopRounds: QueueRound[] = [];
    const sqlRounds: QueueRound[] = [];
    const ingestRounds: QueueRound[] = [];
    for (let round = 0; round < load.rounds; round++) {
      noopRounds.push(await noop.round(load.jobs, here));
      const replayed = await target.insertDocuments(load.jobs, content);
      sqlRounds.push(await sqlRound(target, sqlPool, job, replayed, here));
      await target.queue.pause();
      await target.enqueue(await target.insertDocuments(load.jobs, content));
      ingestRounds.push(await drain(target.queue, load.jobs, runner));
    }

    // Both kinds of rounds did the work: a replay that skipped it (or a job) cannot look fast.
    const expected = 2 * load.jobs * load.rounds;
    const ready = await target.db.$count(documents, eq(documents.status, 'ready'));
    const succeeded = await target.db.$count(tasks, eq(tasks.status, 'succeeded'));
    if (ready !== expected || succeeded !== expected) {
      throw new Error(`${succeeded}/${expected} tasks succeeded, ${ready}/${expected} documents ready`);
    }
    const { concurrency } = settings;
    return {
      rows: rows(
        summary(load.jobs, concurrency, noopRounds),
        summary(load.jobs, concurrency, sqlRounds),
        summary(load.jobs, concurrency, ingestRounds),
      ),
      jobSql: describeStatements(job),
      splitText: measureSplitter({
        chunkSize: target.config.CHUNK_SIZE,
        overlap: target.config.CHUNK_OVERLAP,
      }),
    };
  } finally {
    await noop?.close();
    await sqlPool.end();
    await target.close();
  }
}
