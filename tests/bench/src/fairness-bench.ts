import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countOpenTasks } from '@repo/db';
import { createRedis, type Redis } from '@repo/queue';
import { waitFor } from '@repo/testing';
import type { Job, Queue } from 'bullmq';
import { createTestStack, type TestStack } from '../../../apps/task-runner/test/support/test-stack.ts';
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
  rounds: 2,
};
export const FAIRNESS_SMOKE: FairnessLoad = {
  replicas: 2,
  concurrency: 4,
  backlog: 60,
  arriveAfter: 0.25,
  rounds: 1,
};

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
}

export interface FairnessRound {
  /** B's add → start on an empty queue with idle replicas: the baseline of this round. */
  emptyWaitMs: number;
  fair: BacklogRound;
  fifo: BacklogRound;
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
  rounds: FairnessRound[];
}

/**
 * From the queue's event stream (one Redis stream: one order across every replica), at B's add:
 * the jobs added and not yet started, and the jobs started after it until B's own start.
 */
async function orderAroundB(events: Redis, key: string, jobIdOfB: string) {
  const waiting = new Set<string>();
  let waitingAtArrival: number | undefined;
  let startedAheadOfB = 0;
  for (const [, fields] of await events.xrange(key, '-', '+')) {
    const event = new Map<string, string>();
    for (let i = 0; i < fields.length; i += 2) event.set(fields[i]!, fields[i + 1]!);
    const jobId = event.get('jobId');
    if (jobId === jobIdOfB && waitingAtArrival === undefined) waitingAtArrival = waiting.size;
    if (event.get('event') === 'waiting' && jobId) waiting.add(jobId);
    if (event.get('event') !== 'active' || !jobId) continue;
    if (jobId === jobIdOfB) return { waitingAtArrival: waitingAtArrival!, startedAheadOfB };
    waiting.delete(jobId);
    if (waitingAtArrival !== undefined) startedAheadOfB++;
  }
  throw new Error(`the event stream ${key} does not show job ${jobIdOfB} started`);
}

async function completedJob(queue: Queue, jobId: string): Promise<Job> {
  let done: Job | undefined;
  await waitFor(
    async () => {
      const job = await queue.getJob(jobId);
      if (job?.failedReason) throw new Error(`${jobId} failed: ${job.failedReason}`);
      done = job?.finishedOn ? job : undefined;
      return done !== undefined;
    },
    { timeoutMs: 300_000, intervalMs: 20, what: `job ${jobId} done` },
  );
  return done!;
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
): Promise<BacklogRound> {
  const queue = stack.producer.queue(QUEUE);
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
  const resumedAt = Date.now();
  await queue.resume();
  await waitFor(
    async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= load.backlog * load.arriveAfter,
    { timeoutMs: 300_000, intervalMs: 20, what: `${load.arriveAfter} of the backlog done` },
  );
  const jobIdOfB = await submitB(stack, mode);
  const b = await completedJob(queue, jobIdOfB);
  const finished = await Promise.all(backlog.map((job) => completedJob(queue, job.taskId)));
  const order = await orderAroundB(events, eventsKey, jobIdOfB);
  await queue.pause();
  await queue.clean(0, 0, 'completed');
  return {
    mode,
    ...order,
    waitMs: b.processedOn! - b.timestamp,
    jobsPerSecond: load.backlog / ((Math.max(...finished.map((job) => job.finishedOn!)) - resumedAt) / 1000),
  };
}

/**
 * Fairness between owners, measured in jobs and as ratios of the same run: owner A queues a
 * backlog, and once a quarter of it is done owner B queues one document. B's wait (in jobs
 * started ahead of it, and in ms ÷ its wait on an empty queue) with places in line (fair) and
 * without (first-in-first-out), against `replicas` task-runner processes as their image runs them;
 * and A's drain rate in both modes, so what the priorities cost is a ratio too.
 */
export async function runFairnessBench(load: FairnessLoad): Promise<FairnessResults> {
  const loadBefore = loadavg()[0]!;
  const stack = await createTestStack('bench_fairness');
  const logDir = mkdtempSync(join(tmpdir(), 'keelson-bench-fairness-'));
  const queue = stack.producer.queue(QUEUE);
  const events = createRedis(stack.redisUrl, 'producer', 'bench-fairness-events');
  const running: RunnerReplica[] = [];
  const rounds: FairnessRound[] = [];
  try {
    // The first replica leads and migrates the empty database; the others wait for the schema.
    const env = { ...stack.env, INGEST_CONCURRENCY: String(load.concurrency) };
    for (let i = 0; i < load.replicas; i++) running.push(await startRunnerReplica(env, logDir));
    // Untimed: a fresh process drains slower at first (JIT, prepared statements, pool connections),
    // which would fall on whichever mode ran first.
    await backlogRound(stack, events, { ...load, backlog: Math.ceil(load.backlog / 2) }, 'fifo');
    for (let round = 0; round < load.rounds; round++) {
      await queue.resume();
      const alone = await completedJob(queue, await submitB(stack, 'fair'));
      const emptyWaitMs = alone.processedOn! - alone.timestamp;
      await queue.clean(0, 0, 'completed');
      // The order alternates, so a burst of other work on the machine falls on both modes.
      const first = round % 2 === 0 ? 'fair' : 'fifo';
      const a = await backlogRound(stack, events, load, first);
      const b = await backlogRound(stack, events, load, first === 'fair' ? 'fifo' : 'fair');
      const [fair, fifo] = first === 'fair' ? [a, b] : [b, a];
      rounds.push({ emptyWaitMs, fair, fifo });
    }
  } finally {
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
    rounds,
  };
}
