import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { documents, tasks } from '@repo/db';
import { waitFor } from '@repo/testing';
import type { Queue } from 'bullmq';
import { and, inArray, ne } from 'drizzle-orm';
import {
  createTestStack,
  documentText,
  type TestStack,
} from '../../../apps/task-runner/test/support/test-stack.ts';
import {
  containerCpuSeconds,
  startRunnerReplica,
  containerServing,
  type RunnerReplica,
} from './runner-replicas.ts';
import { spread, type Spread } from './stats.ts';

const QUEUE = 'ingest-document';

export interface ReplicaLoad {
  /** Replica counts to compare, each against the first. */
  replicas: readonly number[];
  /** Jobs queued, then processed, in each round. */
  jobs: number;
  /** Rounds of every replica count in turn (1, 2, 3, 1, 2, 3, …). */
  rounds: number;
}

export const REPLICA_RUN: ReplicaLoad = { replicas: [1, 2, 3], jobs: 600, rounds: 3 };
export const REPLICA_SMOKE: ReplicaLoad = { replicas: [1, 2], jobs: 40, rounds: 1 };

export interface ReplicaRound {
  replicas: number;
  elapsedMs: number;
  jobsPerSecond: number;
  /** CPU cores busy on average during the round: the runner processes, Postgres, Redis. */
  cores: { runners: number; postgres: number | null; redis: number | null };
}

export interface ReplicaRow {
  replicas: number;
  /** Every round's jobs over their total time. */
  jobsPerSecond: number;
  /** jobs/s ÷ the one-replica jobs/s of the same round index: median (min–max). */
  speedup: Spread;
  /** CPU seconds per 1,000 jobs, summed over the rounds of this count. */
  cpuPer1000Jobs: { runners: number; postgres: number | null; redis: number | null };
  rounds: ReplicaRound[];
}

export interface ReplicaResults {
  machine: { cpus: number; loadBefore: number; loadAfter: number };
  options: ReplicaLoad;
  /** The runners' settings: production defaults (INGEST_CONCURRENCY 4, pool 10). */
  rows: ReplicaRow[];
}

/** Documents and their tasks as the api stores them, 100 per statement; their job payloads. */
export async function insertDocuments(stack: TestStack, count: number, ownerId = 'bench') {
  const content = documentText(10, 'replica');
  const made: { taskId: string; documentId: string }[] = [];
  for (let start = 0; start < count; start += 100) {
    const size = Math.min(100, count - start);
    const docs = await stack.db
      .insert(documents)
      .values(Array.from({ length: size }, () => ({ ownerId, title: 'bench', content, contentHash: 'h' })))
      .returning({ id: documents.id });
    const rows = await stack.db
      .insert(tasks)
      .values(docs.map(({ id }) => ({ ownerId, type: 'ingest-document', input: { documentId: id } })))
      .returning({ id: tasks.id });
    made.push(...docs.map(({ id }, i) => ({ documentId: id, taskId: rows[i]!.id })));
  }
  return made;
}

/** Resumes the paused queue and waits for the round's jobs; the end is the last finishedOn. */
async function drain(queue: Queue, jobIds: string[]): Promise<number> {
  const resumedAt = Date.now();
  await queue.resume();
  await waitFor(
    async () => {
      const {
        completed = 0,
        failed = 0,
        delayed = 0,
      } = await queue.getJobCounts('completed', 'failed', 'delayed');
      if (failed > 0 || delayed > 0) throw new Error(`${failed} failed, ${delayed} retried ${QUEUE} jobs`);
      return completed >= jobIds.length;
    },
    { timeoutMs: 300_000, intervalMs: 50, what: `${jobIds.length} completed jobs` },
  );
  await queue.pause();
  let last = resumedAt;
  for (let start = 0; start < jobIds.length; start += 200) {
    const jobs = await Promise.all(jobIds.slice(start, start + 200).map((id) => queue.getJob(id)));
    for (const job of jobs) last = Math.max(last, job?.finishedOn ?? 0);
  }
  await queue.clean(0, 0, 'completed');
  return last - resumedAt;
}

/**
 * Ingest jobs/s with 1, 2 and 3 task-runner replicas (separate processes, as their images run
 * them) against the same Postgres and Redis. Each round queues `jobs` documents into the paused
 * queue, brings the replica count to the round's (starting or stopping processes, untimed),
 * resumes and times until the last job finished. Counts alternate round by round, so a burst of
 * other work on the machine falls on all of them. CPU of the runners, Postgres and Redis is read
 * from /proc and the containers' cgroups around each round: what each one costs per job, and so
 * which saturates first as replicas are added.
 */
export async function runReplicaBench(load: ReplicaLoad): Promise<ReplicaResults> {
  const loadBefore = loadavg()[0]!;
  const stack = await createTestStack('bench_replicas');
  const logDir = mkdtempSync(join(tmpdir(), 'keelson-bench-replicas-'));
  const queue = await stack.producer.queue(QUEUE);
  const postgres = containerServing(stack.database.url);
  const redis = containerServing(stack.redisUrl);
  const running: RunnerReplica[] = [];
  const rounds: ReplicaRound[] = [];
  try {
    await queue.pause();
    const scaleTo = async (count: number) => {
      while (running.length < count) running.push(await startRunnerReplica(stack.env, logDir));
      while (running.length > count) await running.pop()!.stop();
    };
    // The first replica leads and migrates the empty database before any document is stored.
    await scaleTo(1);
    for (let round = 0; round < load.rounds; round++) {
      for (const replicas of load.replicas) {
        const submitted = await insertDocuments(stack, load.jobs);
        // As the api enqueues (the contract's retry policy and retention), 8 at a time; untimed.
        for (let start = 0; start < submitted.length; start += 8) {
          await Promise.all(
            submitted
              .slice(start, start + 8)
              .map((payload) => stack.producer.enqueue(QUEUE, payload, { jobId: payload.taskId })),
          );
        }
        await scaleTo(replicas);
        const cpuBefore = {
          runners: running.reduce((sum, r) => sum + r.cpuSeconds(), 0),
          postgres: postgres ? containerCpuSeconds(postgres) : undefined,
          redis: redis ? containerCpuSeconds(redis) : undefined,
        };
        const elapsedMs = await drain(
          queue,
          submitted.map((s) => s.taskId),
        );
        const seconds = elapsedMs / 1000;
        const used = (after: number | undefined, before: number | undefined) =>
          after === undefined || before === undefined ? null : (after - before) / seconds;
        rounds.push({
          replicas,
          elapsedMs,
          jobsPerSecond: load.jobs / seconds,
          cores: {
            runners: (running.reduce((sum, r) => sum + r.cpuSeconds(), 0) - cpuBefore.runners) / seconds,
            postgres: used(postgres ? containerCpuSeconds(postgres) : undefined, cpuBefore.postgres),
            redis: used(redis ? containerCpuSeconds(redis) : undefined, cpuBefore.redis),
          },
        });
        // Every job did its work: its task succeeded and its document is ready.
        const ids = submitted.map((job) => job.documentId);
        const undone =
          (await stack.db.$count(documents, and(inArray(documents.id, ids), ne(documents.status, 'ready')))) +
          (await stack.db.$count(
            tasks,
            and(
              inArray(
                tasks.id,
                submitted.map((job) => job.taskId),
              ),
              ne(tasks.status, 'succeeded'),
            ),
          ));
        if (undone > 0) throw new Error(`${undone} documents or tasks of the round did not finish`);
      }
    }
  } finally {
    await Promise.all(running.map((runner) => runner.stop()));
    await queue.obliterate({ force: true }).catch(() => {});
    await stack.close();
  }

  const single = rounds.filter((r) => r.replicas === load.replicas[0]);
  const rows = load.replicas.map((replicas): ReplicaRow => {
    const mine = rounds.filter((r) => r.replicas === replicas);
    const totalSeconds = mine.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
    const per1000 = (pick: (r: ReplicaRound) => number | null) =>
      mine.some((r) => pick(r) === null)
        ? null
        : (mine.reduce((sum, r) => sum + pick(r)! * (r.elapsedMs / 1000), 0) / (mine.length * load.jobs)) *
          1000;
    return {
      replicas,
      jobsPerSecond: (mine.length * load.jobs) / totalSeconds,
      speedup: spread(mine.map((r, i) => r.jobsPerSecond / single[i]!.jobsPerSecond)),
      cpuPer1000Jobs: {
        runners: per1000((r) => r.cores.runners)!,
        postgres: per1000((r) => r.cores.postgres),
        redis: per1000((r) => r.cores.redis),
      },
      rounds: mine,
    };
  });
  return {
    machine: { cpus: navigator.hardwareConcurrency, loadBefore, loadAfter: loadavg()[0]! },
    options: load,
    rows,
  };
}
