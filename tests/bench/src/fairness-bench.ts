import { existsSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countOpenTasks } from '@repo/db';
import { createRedis, type Redis } from '@repo/queue';
import { waitFor } from '@repo/testing';
import { loadConfig } from '../../../apps/task-runner/src/config.ts';
import { createTestStack, type TestStack } from '../../../apps/task-runner/test/support/test-stack.ts';
import { containerCpu, ownCpu } from './cpu-meter.ts';
import { completedJob, completedJobs, orderAroundB } from './fairness-queue.ts';
import { workMeter, type DrainWork, type WorkMeter } from './fairness-work.ts';
import { startNoopWorker, type QueueRound } from './queue-drain.ts';
import { insertDocuments } from './replica-bench.ts';
import { startRunnerReplica, type RunnerReplica } from './runner-replicas.ts';
import { pairedRatios, spread, type Spread } from './stats.ts';

const QUEUE = 'ingest-document';

export interface FairnessLoad {
  /** Task-runner processes sharing the queue. */
  replicas: number;
  /** INGEST_CONCURRENCY of each (production's default: 4). */
  concurrency: number;
  /** Owner A's documents, queued at once. */
  backlog: number;
  /** Owner B queues its one document once this share of A's backlog is done. */
  arriveAfter: number;
  /** Rounds of (B alone, fair, first-in-first-out) in turn. */
  rounds: number;
}

export const FAIRNESS_RUN: FairnessLoad = {
  replicas: 2,
  concurrency: 4,
  backlog: 600,
  arriveAfter: 0.25,
  rounds: 4,
};
export const FAIRNESS_SMOKE: FairnessLoad = {
  replicas: 2,
  concurrency: 4,
  backlog: 60,
  arriveAfter: 0.25,
  rounds: 1,
};

/** Rounds whose drains are counted (DrainWork). */
const COUNTED_ROUNDS = 2;

/** Drains of the no-op worker per round, prioritized and plain each. */
const NOOP_PAIRS = 4;

/** With places in line (the api's enqueue), or without (every job first-in-first-out, as before). */
export type QueueMode = 'fair' | 'fifo';

export interface BacklogRound {
  mode: QueueMode;
  /** A's jobs not yet started when B queued: what first-in-first-out puts ahead of B. */
  waitingAtArrival: number;
  /** Jobs the replicas started after B was queued and before B's: its wait, counted in jobs. */
  startedAheadOfB: number;
  /** B's add → start (BullMQ's timestamp → processedOn). */
  waitMs: number;
  /** A's backlog: jobs ÷ (resume → the last one finished). */
  jobsPerSecond: number;
  /**
   * A's jobs, median of processedOn → finishedOn: a job's own time in a runner. Beside
   * jobsPerSecond it splits a slower drain into slower jobs or longer gaps between them (the fetch).
   */
  activeMs: number;
  /** What the drain cost per job (Redis commands, Postgres transactions, CPU), when counted. */
  work?: DrainWork;
  /** The runners' CPU profiles of this drain (resume → the last job done), one per replica, when profiled. */
  profiles?: string[];
}

/** Profiling the runners: each timed drain's profiles are moved to `outDir`. */
interface Profiling {
  runners: RunnerReplica[];
  /** Where replica i's preload writes (`<replicaDir(i)>/<n>.cpuprofile`). */
  replicaDir: (replica: number) => string;
  outDir: string;
  /** Profiles written so far, per replica. */
  written: number;
  round: number;
}

export interface FairnessRound {
  /** B's add → start on an empty queue with idle replicas: the baseline of this round. */
  emptyWaitMs: number;
  fair: BacklogRound;
  fifo: BacklogRound;
  /**
   * BullMQ alone, the same round: a no-op worker (replicas × concurrency at once, in the bench's
   * process) draining `backlog` jobs queued with places 1, 2, 3, … (prioritized) and without
   * (plain), NOOP_PAIRS times each in turn: a drain takes a fraction of a second, which one stall
   * of a busy machine would otherwise decide.
   */
  bullmq: { prioritized: QueueRound[]; plain: QueueRound[] };
}

export interface FairnessResults {
  machine: { cpus: number; loadBefore: number; loadAfter: number };
  options: FairnessLoad;
  /**
   * The bound, in jobs that may start after B's add and before B: one per other owner (here A's
   * place-1 job, had it still been waiting). The jobs already running then (at most replicas ×
   * concurrency) are not preempted; they end beside B's.
   */
  bound: number;
  /** B's wait behind A's backlog ÷ its wait on an empty queue, per mode: median (min–max). */
  waitRatio: { fair: Spread; fifo: Spread };
  startedAheadOfB: { fair: Spread; fifo: Spread };
  /** A's backlog jobs/s, fair ÷ first-in-first-out, round by round: what the priorities cost. */
  throughputRatio: Spread;
  /** The no-op worker's jobs/s, prioritized ÷ plain, pair by pair: what the priorities cost BullMQ itself. */
  bullmqRatio: Spread;
  rounds: FairnessRound[];
}

/** B's one document, stored and enqueued as the api does (its place: 1, it has nothing else open). */
async function submitB(stack: TestStack, mode: QueueMode) {
  const [job] = await insertDocuments(stack, 1, 'owner-b');
  const ownerPlace = mode === 'fair' ? await countOpenTasks(stack.db, 'owner-b', QUEUE) : undefined;
  await stack.producer.enqueue(QUEUE, job!, { jobId: job!.taskId, ownerPlace });
  return job!.taskId;
}

async function backlogRound(
  stack: TestStack,
  events: Redis,
  load: FairnessLoad,
  mode: QueueMode,
  meter?: WorkMeter,
  profiling?: Profiling,
): Promise<BacklogRound> {
  const queue = await stack.producer.queue(QUEUE);
  const eventsKey = `${stack.prefix}:${QUEUE}:events`;
  await queue.pause();
  await events.del(eventsKey);
  const backlog = await insertDocuments(stack, load.backlog, 'owner-a');
  // Places 1, 2, 3, …: what the api gives an owner's documents sent one after another (each one
  // counted when stored; here they are stored in batches, so the count is written out).
  for (let start = 0; start < backlog.length; start += 8) {
    await Promise.all(
      backlog.slice(start, start + 8).map((job, i) =>
        stack.producer.enqueue(QUEUE, job, {
          jobId: job.taskId,
          ownerPlace: mode === 'fair' ? start + i + 1 : undefined,
        }),
      ),
    );
  }
  await meter?.start();
  for (const runner of profiling?.runners ?? []) runner.toggleProfile();
  const resumedAt = Date.now();
  await queue.resume();
  await waitFor(
    async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= load.backlog * load.arriveAfter,
    { timeoutMs: 300_000, intervalMs: 20, what: `${load.arriveAfter} of the backlog done` },
  );
  const jobIdOfB = await submitB(stack, mode);
  const done = await completedJobs(queue, [...backlog.map((job) => job.taskId), jobIdOfB]);
  const b = done.get(jobIdOfB)!;
  const finished = backlog.map((job) => done.get(job.taskId)!);
  const profiles = profiling ? await collectProfiles(profiling, mode) : undefined;
  const work = await meter?.finish(load.backlog + 1);
  const order = await orderAroundB(events, eventsKey, jobIdOfB);
  await queue.pause();
  await queue.clean(0, 0, 'completed');
  return {
    mode,
    ...order,
    waitMs: b.processedOn! - b.timestamp,
    jobsPerSecond: load.backlog / ((Math.max(...finished.map((job) => job.finishedOn!)) - resumedAt) / 1000),
    activeMs: spread(finished.map((job) => job.finishedOn! - job.processedOn!)).median,
    ...(work ? { work } : {}),
    ...(profiles ? { profiles } : {}),
  };
}

/** Stops the runners' profilers and moves what they wrote to `fairness.<round>.<mode>.<replica>.cpuprofile`. */
async function collectProfiles(profiling: Profiling, mode: QueueMode): Promise<string[]> {
  for (const runner of profiling.runners) runner.toggleProfile();
  profiling.written++;
  const files: string[] = [];
  for (let replica = 0; replica < profiling.runners.length; replica++) {
    const written = join(profiling.replicaDir(replica), `${profiling.written}.cpuprofile`);
    await waitFor(() => existsSync(written), { timeoutMs: 30_000, what: `${written} to be written` });
    const file = join(profiling.outDir, `fairness.${profiling.round}.${mode}.${replica + 1}.cpuprofile`);
    renameSync(written, file);
    files.push(file);
  }
  return files;
}

/**
 * Fairness between owners, measured in jobs and as ratios of the same run: owner A queues a
 * backlog, and once a quarter of it is done owner B queues one document. B's wait (in jobs
 * started ahead of it, and in ms ÷ its wait on an empty queue) with places in line (fair) and
 * without (first-in-first-out), against `replicas` task-runner processes as their image runs them;
 * and A's drain rate in both modes, so what the priorities cost is a ratio too.
 */
export async function runFairnessBench(
  load: FairnessLoad,
  options: {
    /** Profile the runners over every timed drain (their profiler preload), the profiles kept here. */
    profileDir?: string;
  } = {},
): Promise<FairnessResults> {
  const loadBefore = loadavg()[0]!;
  const stack = await createTestStack('bench_fairness');
  const logDir = mkdtempSync(join(tmpdir(), 'keelson-bench-fairness-'));
  const queue = await stack.producer.queue(QUEUE);
  const events = createRedis(stack.redisUrl, 'producer', 'bench-fairness-events');
  const running: RunnerReplica[] = [];
  const rounds: FairnessRound[] = [];
  let meter: WorkMeter | undefined;
  let noop: Awaited<ReturnType<typeof startNoopWorker>> | undefined;
  try {
    // The first replica leads and migrates the empty database; the others wait for the schema.
    const env = { ...stack.env, INGEST_CONCURRENCY: String(load.concurrency) };
    const runnerConfig = loadConfig(env);
    const replicaDir = (replica: number) => join(logDir, 'profiles', String(replica + 1));
    for (let i = 0; i < load.replicas; i++) {
      if (options.profileDir) mkdirSync(replicaDir(i), { recursive: true });
      running.push(await startRunnerReplica(env, logDir, options.profileDir ? replicaDir(i) : undefined));
    }
    const profiling: Profiling | undefined = options.profileDir
      ? { runners: running, replicaDir, outDir: options.profileDir, written: 0, round: 0 }
      : undefined;
    if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
    // Untimed: a fresh process drains slower at first (JIT, prepared statements, pool connections),
    // which would fall on whichever mode ran first.
    await backlogRound(stack, events, { ...load, backlog: Math.ceil(load.backlog / 2) }, 'fifo');
    meter = await workMeter({
      databaseUrl: stack.database.url,
      redis: events,
      redisUrl: stack.redisUrl,
      runnerPids: running.map((runner) => runner.pid),
    });
    noop = await startNoopWorker(stack.redisUrl, {
      concurrency: load.replicas * load.concurrency,
      lockDuration: runnerConfig.JOB_LOCK_DURATION_MS,
      stalledInterval: runnerConfig.JOB_STALLED_INTERVAL_MS,
    });
    const noopClocks = {
      process: ownCpu,
      postgres: () => undefined,
      redis: await containerCpu(new URL(stack.redisUrl).port),
    };
    // Untimed, like the runners' warm-up.
    await noop.round(load.backlog, noopClocks, { places: true });
    for (let round = 0; round < load.rounds; round++) {
      await queue.resume();
      const alone = await completedJob(queue, await submitB(stack, 'fair'));
      const emptyWaitMs = alone.processedOn! - alone.timestamp;
      await queue.clean(0, 0, 'completed');
      // The order alternates, so a burst of other work on the machine falls on both modes.
      const first = round % 2 === 0 ? 'fair' : 'fifo';
      if (profiling) profiling.round = round + 1;
      // Counted in the first two rounds (one of each order): the counts barely move from round to
      // round, and each count waits 2 × 11 s for Postgres's statistics.
      const counted = round < COUNTED_ROUNDS ? meter : undefined;
      const a = await backlogRound(stack, events, load, first, counted, profiling);
      const b = await backlogRound(
        stack,
        events,
        load,
        first === 'fair' ? 'fifo' : 'fair',
        counted,
        profiling,
      );
      const [fair, fifo] = first === 'fair' ? [a, b] : [b, a];
      const bullmq: FairnessRound['bullmq'] = { prioritized: [], plain: [] };
      for (let pair = 0; pair < NOOP_PAIRS; pair++) {
        for (const places of pair % 2 === 0 ? [true, false] : [false, true]) {
          const drained = await noop.round(load.backlog, noopClocks, { places });
          bullmq[places ? 'prioritized' : 'plain'].push(drained);
        }
      }
      rounds.push({ emptyWaitMs, fair, fifo, bullmq });
    }
  } finally {
    await noop?.close();
    await meter?.close();
    await Promise.all(running.map((runner) => runner.stop()));
    await queue.obliterate({ force: true }).catch(() => {});
    events.disconnect();
    await stack.close();
  }
  const waits = (mode: QueueMode) =>
    pairedRatios(
      rounds.map((round) => round[mode].waitMs),
      // BullMQ's times are whole milliseconds: an empty queue's 0 ms counts as 1.
      rounds.map((round) => Math.max(1, round.emptyWaitMs)),
    );
  return {
    machine: { cpus: navigator.hardwareConcurrency, loadBefore, loadAfter: loadavg()[0]! },
    options: load,
    bound: 1,
    waitRatio: { fair: waits('fair'), fifo: waits('fifo') },
    startedAheadOfB: {
      fair: spread(rounds.map((round) => round.fair.startedAheadOfB)),
      fifo: spread(rounds.map((round) => round.fifo.startedAheadOfB)),
    },
    throughputRatio: pairedRatios(
      rounds.map((round) => round.fair.jobsPerSecond),
      rounds.map((round) => round.fifo.jobsPerSecond),
    ),
    bullmqRatio: pairedRatios(
      rounds.flatMap((round) => round.bullmq.prioritized.map((drained) => drained.jobsPerSecond)),
      rounds.flatMap((round) => round.bullmq.plain.map((drained) => drained.jobsPerSecond)),
    ),
    rounds,
  };
}
