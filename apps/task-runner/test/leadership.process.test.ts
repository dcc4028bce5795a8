import { chunks, documents, readBundledMigrations, tasks } from '@repo/db';
import { waitFor } from '@repo/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitText } from '../src/ingestion/text-splitter.ts';
import { killAll, spawnRunner, type RunnerProcess } from './support/runner-process.ts';
import { createTestStack, documentText, type TestStack } from './support/test-stack.ts';

/**
 * Real task-runner processes on one database and queue prefix, as three replicas of a deploy
 * would be. Each `it` builds on the previous one: three start and share the work, the leader is
 * killed, a replacement joins and a standby is killed, the leader is stopped gracefully and the
 * last one takes over.
 */
const POLL_MS = 500;
const SPLIT = { chunkSize: 200, overlap: 40 };
const env = (stack: TestStack): Record<string, string> => ({
  ...stack.env,
  LEADER_POLL_MS: String(POLL_MS),
  LEADER_HEARTBEAT_TIMEOUT_MS: '1000',
  // Fast stall recovery: a killed leader's jobs are re-run ~3-5 s after their lock expires.
  JOB_LOCK_DURATION_MS: '3000',
  JOB_STALLED_INTERVAL_MS: '1000',
  INGEST_CONCURRENCY: '2',
  CHUNK_SIZE: String(SPLIT.chunkSize),
  CHUNK_OVERLAP: String(SPLIT.overlap),
  SHUTDOWN_TIMEOUT_MS: '8000',
  DATABASE_POOL_MAX: '4',
  // Jobs of these tests wait on row locks the test holds; Postgres must not cancel them first.
  DATABASE_STATEMENT_TIMEOUT_MS: '60000',
});

let stack: TestStack;
let runners: RunnerProcess[] = [];
const metrics: Record<string, number> = {};

beforeAll(async () => {
  stack = await createTestStack('leadership');
});
afterAll(async () => {
  await killAll(runners);
  await stack?.close();
  if (Object.keys(metrics).length > 0) console.info('leadership metrics', metrics);
});

const leaders = async () => {
  const statuses = await Promise.all(
    runners.map(async (runner) => ({ runner, status: await runner.status() })),
  );
  return statuses.filter(({ status }) => status?.role === 'leader').map(({ runner }) => runner);
};
const alive = () =>
  runners.filter((runner) => runner.child.exitCode === null && runner.child.signalCode === null);

/** Chunks of a document, and how many its content must produce: exactly one set, or a duplicate shows. */
async function chunkCounts(documentId: string) {
  const [document] = await stack.db.select().from(documents).where(eq(documents.id, documentId));
  const stored = await stack.db.$count(chunks, eq(chunks.documentId, documentId));
  return { stored, expected: splitText(document!.content, SPLIT).length, status: document!.status };
}

const EVERY_REPLICA = ['ingest-document', 'agent-run', 'summarize-conversation', 'reap-runs'];

/**
 * Documents whose ingestion the test holds: their rows are locked, so their jobs wait inside
 * their transactions — slow jobs made of real work. Returns their task ids and the locks.
 */
async function heldBatch(tags: string[]) {
  const documentIds: string[] = [];
  const locks: { release(): Promise<void> }[] = [];
  for (const tag of tags) {
    const [document] = await stack.db
      .insert(documents)
      .values({ ownerId: 'owner', title: tag, content: documentText(12, tag), contentHash: 'h' })
      .returning();
    locks.push(await stack.lockDocument(document!.id));
    documentIds.push(document!.id);
  }
  const taskIds = await Promise.all(documentIds.map((documentId) => enqueueExisting(documentId)));
  return {
    documentIds,
    taskIds,
    release: async () => {
      for (const lock of locks) await lock.release();
    },
  };
}

/** Which replica (`host/pid`, its worker name) runs each active ingestion, once `count` are active. */
async function activeRunners(count: number): Promise<Map<string, string>> {
  const queue = await stack.producer.queue('ingest-document');
  return waitFor(
    async () => {
      const active = await queue.getActive();
      if (active.length !== count || active.some((job) => !job.processedBy)) return undefined;
      return new Map(active.map((job) => [job.id!, job.processedBy!]));
    },
    { what: `${count} ingestions active`, timeoutMs: 20_000 },
  );
}

const pidOf = (runner: RunnerProcess) => `/${runner.child.pid}`;
const holding = (runner: RunnerProcess, active: Map<string, string>) =>
  [...active].filter(([, processedBy]) => processedBy.endsWith(pidOf(runner))).map(([jobId]) => jobId);

/** Every document ingested exactly once: one set of chunks, as many as its content makes. */
async function expectIngestedOnce(documentIds: string[]) {
  for (const documentId of documentIds) {
    const counts = await chunkCounts(documentId);
    expect(counts, documentId).toEqual({
      stored: counts.expected,
      expected: counts.expected,
      status: 'ready',
    });
  }
}

/**
 * Jobs of a killed replica, recovered as stalled by another replica's stalled-job check: moved
 * back to wait (or already started again elsewhere).
 */
async function recovered(jobIds: string[], what: string) {
  const queue = await stack.producer.queue('ingest-document');
  await waitFor(
    async () => {
      const jobs = await Promise.all(jobIds.map((id) => queue.getJob(id)));
      const states = await Promise.all(jobIds.map((id) => queue.getJobState(id)));
      return jobs.every((job, i) => job && (states[i] === 'waiting' || job.attemptsStarted >= 2));
    },
    { what, timeoutMs: 20_000 },
  );
}

async function waitForTasks(taskIds: string[], status: string, what: string) {
  await waitFor(
    async () => {
      const rows = await Promise.all(taskIds.map((id) => stack.task(id)));
      return rows.every((row) => row?.status === status);
    },
    { what, timeoutMs: 30_000 },
  );
}

describe('three task-runners on one database', () => {
  it('started at once on an empty database: one leader migrates once, and all three work', async () => {
    runners = await Promise.all(['a', 'b', 'c'].map((name) => spawnRunner(`runner-${name}`, env(stack))));
    const statuses = await Promise.all(
      runners.map((runner) =>
        runner.waitForStatus((status) => status.ready && status.workers.running, 'working'),
      ),
    );

    const roles = statuses.map((status) => status.role).sort();
    expect(roles).toEqual(['leader', 'standby', 'standby']);
    const leader = statuses.find((status) => status.role === 'leader')!;
    const bundled = readBundledMigrations().map((migration) => migration.tag);
    expect(leader).toMatchObject({
      phase: 'running',
      migrations: { state: 'applied', applied: bundled },
      workers: { running: true, replica: 'running', queues: [...EVERY_REPLICA, 'maintenance'] },
    });
    for (const standby of statuses.filter((status) => status.role === 'standby')) {
      expect(standby).toMatchObject({
        phase: 'standby',
        migrations: { state: 'not-run', applied: [] },
        workers: { running: true, replica: 'running', queues: EVERY_REPLICA },
        leadership: { postgres: 'ok', leaderSince: null },
      });
    }
    // Recorded once in the database as well: each bundled migration has exactly one row.
    const recorded = await stack.db.execute<{ hash: string; n: number }>(
      sql`select hash, count(*)::int as n from drizzle.__drizzle_migrations group by hash`,
    );
    expect(recorded.rows).toHaveLength(bundled.length);
    expect(recorded.rows.every((row) => row.n === 1)).toBe(true);
    // The standbys waited for the leader's migrations before taking work.
    const waited = runners.filter((runner) =>
      runner.output().includes('waiting for the migrations of this build before taking work'),
    );
    expect(waited.length).toBeGreaterThanOrEqual(1);

    // Six slow ingestions at once, where one replica runs at most two (INGEST_CONCURRENCY):
    // every replica has two of them.
    const batch = await heldBatch(['s1', 's2', 's3', 's4', 's5', 's6']);
    const active = await activeRunners(6);
    for (const runner of runners) expect(holding(runner, active), runner.name).toHaveLength(2);
    await batch.release();
    await waitForTasks(batch.taskIds, 'succeeded', 'the spread batch done');
    await expectIngestedOnce(batch.documentIds);
  });

  it('the leader is SIGKILLed mid-batch: its duties and its jobs move to the others, every job takes effect once', async () => {
    const [leader] = await leaders();
    expect(leader).toBeDefined();
    const batch = await heldBatch(['k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    const queued = [
      await stack.submitDocument(documentText(12, 'w1')),
      await stack.submitDocument(documentText(12, 'w2')),
    ];
    const active = await activeRunners(6);
    const interrupted = holding(leader!, active);
    expect(interrupted).toHaveLength(2);

    const killedAt = performance.now();
    leader!.kill('SIGKILL');
    await leader!.exited;

    // A standby takes over within a few poll intervals, and only one does; it migrates nothing.
    const next = await waitFor(async () => (await leaders()).filter((runner) => runner !== leader)[0], {
      what: 'a standby to take over',
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    const leading = await next.waitForStatus(
      (status) => status.ready && status.phase === 'running',
      'leading',
    );
    metrics.failover_after_sigkill_ms = Math.round(performance.now() - killedAt);
    expect(leading.migrations).toEqual({ state: 'applied', applied: [] });
    expect(leading.workers.queues).toEqual([...EVERY_REPLICA, 'maintenance']);
    expect(await leaders()).toEqual([next]);
    expect(alive()).toHaveLength(2);
    // The maintenance scheduler is still there, once.
    const schedulers = await (await stack.producer.queue('maintenance')).getJobSchedulers();
    expect(schedulers.map((scheduler) => scheduler.key)).toEqual(['maintenance']);

    // The killed leader's two jobs are recovered as stalled by the others: back in the queue,
    // where they wait for a free slot (the survivors' are all busy with held documents).
    await recovered(interrupted, 'interrupted jobs recovered as stalled');
    metrics.stall_recovery_after_sigkill_ms = Math.round(performance.now() - killedAt);
    const queue = await stack.producer.queue('ingest-document');
    await batch.release();
    const all = [...batch.taskIds, ...queued.map((d) => d.taskId)];
    await waitForTasks(all, 'succeeded', 'every job of the batch done');
    for (const id of interrupted) {
      // A crash does not use up an attempt: the re-run is still attempt 1.
      expect(await stack.task(id)).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
      expect(await queue.getJobState(id)).toBe('completed');
    }
    await expectIngestedOnce([...batch.documentIds, ...queued.map((d) => d.documentId)]);
  });

  it("a standby is SIGKILLed mid-batch: the leader stays, the standby's jobs are recovered, none is lost", async () => {
    // A replacement replica, as a platform would start one; it waits for nothing and works.
    const replacement = await spawnRunner('runner-d', env(stack));
    runners.push(replacement);
    await replacement.waitForStatus((status) => status.ready && status.workers.running, 'working');
    const [leader] = await leaders();
    const batch = await heldBatch(['t1', 't2', 't3', 't4']);
    const active = await activeRunners(4);
    const standby = alive().find((runner) => runner !== leader && holding(runner, active).length > 0)!;
    expect(standby).toBeDefined();
    const interrupted = holding(standby, active);

    standby.kill('SIGKILL');
    await standby.exited;
    await recovered(interrupted, "the standby's jobs recovered as stalled");
    expect(await leaders()).toEqual([leader]);
    expect((await leader!.status())?.leadership.terms).toBe(1);

    await batch.release();
    await waitForTasks(batch.taskIds, 'succeeded', 'every job of the batch done');
    for (const id of batch.taskIds) {
      expect(await stack.task(id)).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    }
    await expectIngestedOnce(batch.documentIds);
  });

  it('SIGTERM during a job: the job completes, the process exits 0, the last standby takes over at once', async () => {
    const [leader] = await leaders();
    const [standby] = alive().filter((runner) => runner !== leader);
    expect(leader && standby).toBeDefined();

    // A job held on the leader: two held documents fill one replica's two slots, and whichever
    // lands on the leader is the one that matters.
    const batch = await heldBatch(['term1', 'term2', 'term3', 'term4']);
    const active = await activeRunners(4);
    const onLeader = holding(leader!, active);
    expect(onLeader).toHaveLength(2);

    const signalledAt = performance.now();
    leader!.kill('SIGTERM');
    // Its jobs are still busy; they get to finish as soon as their documents are free.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(leader!.child.exitCode).toBeNull();
    await batch.release();

    const exit = await leader!.exited;
    metrics.sigterm_to_exit_ms = Math.round(exit.at - signalledAt);
    expect(exit).toMatchObject({ code: 0, signal: null });
    // Within the shutdown budget (8 s here), with room to spare.
    expect(exit.at - signalledAt).toBeLessThan(8_000);
    for (const id of onLeader)
      expect(await stack.task(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(leader!.output()).toContain('"outcome":"drained"');
    expect(leader!.output()).toContain('leadership released');

    // The lock was released on the way out: the standby does not wait for a session to die.
    await standby!.waitForStatus((status) => status.role === 'leader' && status.ready, 'leading');
    metrics.takeover_after_sigterm_exit_ms = Math.round(performance.now() - exit.at);
    expect(performance.now() - exit.at).toBeLessThan(POLL_MS + 5_000);
    await waitForTasks(batch.taskIds, 'succeeded', 'the batch done');
    await expectIngestedOnce(batch.documentIds);

    standby!.kill('SIGTERM');
    expect(await standby!.exited).toMatchObject({ code: 0 });
  });
});

/** Inserts the task of an existing document and enqueues its job, as the api does. */
async function enqueueExisting(documentId: string): Promise<string> {
  const [task] = await stack.db
    .insert(tasks)
    .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId } })
    .returning();
  await stack.producer.enqueue('ingest-document', { taskId: task!.id, documentId }, { jobId: task!.id });
  return task!.id;
}
