import { chunks, documents, readBundledMigrations, tasks } from '@repo/db';
import { waitFor } from '@repo/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitText } from '../src/ingestion/text-splitter.ts';
import { killAll, spawnRunner, type RunnerProcess } from './support/runner-process.ts';
import { createTestStack, documentText, type TestStack } from './support/test-stack.ts';

/**
 * Real task-runner processes on one database and queue prefix, as three replicas of a deploy
 * would be. Each `it` builds on the previous one: three start, the leader is killed, the next
 * leader is stopped gracefully, the last one takes over.
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

describe('three task-runners on one database', () => {
  it('started at once on an empty database: one leader applies the migrations once, two stand by', async () => {
    runners = await Promise.all(['a', 'b', 'c'].map((name) => spawnRunner(`runner-${name}`, env(stack))));
    const statuses = await Promise.all(
      runners.map((runner) => runner.waitForStatus((status) => status.ready, 'ready')),
    );

    const roles = statuses.map((status) => status.role).sort();
    expect(roles).toEqual(['leader', 'standby', 'standby']);
    const leader = statuses.find((status) => status.role === 'leader')!;
    const bundled = readBundledMigrations().map((migration) => migration.tag);
    expect(leader).toMatchObject({
      phase: 'running',
      migrations: { state: 'applied', applied: bundled },
      workers: {
        running: true,
        queues: ['ingest-document', 'agent-run', 'summarize-conversation', 'maintenance', 'reap-runs'],
      },
    });
    for (const standby of statuses.filter((status) => status.role === 'standby')) {
      expect(standby).toMatchObject({
        phase: 'standby',
        migrations: { state: 'not-run', applied: [] },
        workers: { running: false, queues: [] },
        leadership: { postgres: 'ok', leaderSince: null },
      });
    }
    // Recorded once in the database as well: each bundled migration has exactly one row.
    const recorded = await stack.db.execute<{ hash: string; n: number }>(
      sql`select hash, count(*)::int as n from drizzle.__drizzle_migrations group by hash`,
    );
    expect(recorded.rows).toHaveLength(bundled.length);
    expect(recorded.rows.every((row) => row.n === 1)).toBe(true);
    const standbyLogs = runners.filter((runner) =>
      runner.output().includes('another instance leads; standing by'),
    );
    expect(standbyLogs).toHaveLength(2);
  });

  it('the leader is SIGKILLed mid-batch: a standby takes over and every job takes effect exactly once', async () => {
    const [leader] = await leaders();
    expect(leader).toBeDefined();

    // A batch of six: two quick ones, two the test keeps busy (their documents' rows are locked,
    // so their jobs wait inside their transaction), two that queue behind them.
    const submit = (tag: string) => stack.submitDocument(documentText(12, tag));
    const quick = [await submit('q1'), await submit('q2')];
    const held = [];
    const locks = [];
    for (const tag of ['h1', 'h2']) {
      const [document] = await stack.db
        .insert(documents)
        .values({ ownerId: 'owner', title: tag, content: documentText(12, tag), contentHash: 'h' })
        .returning();
      locks.push(await stack.lockDocument(document!.id));
      held.push(document!.id);
    }
    const heldTasks = await Promise.all(held.map((documentId) => enqueueExisting(documentId)));
    const queued = [await submit('w1'), await submit('w2')];

    // In the middle of the batch: the quick jobs are done, the held ones run, the rest waits.
    await waitFor(
      async () => {
        const rows = await Promise.all(
          [...quick.map((d) => d.taskId), ...heldTasks].map((id) => stack.task(id)),
        );
        return rows.slice(0, 2).every((row) => row?.status === 'succeeded') &&
          rows.slice(2).every((row) => row?.status === 'running')
          ? rows
          : undefined;
      },
      { what: 'quick jobs done, held jobs running', timeoutMs: 20_000 },
    );
    const queue = stack.producer.queue('ingest-document');
    expect((await queue.getActive()).map((job) => job.id).sort()).toEqual([...heldTasks].sort());

    const killedAt = performance.now();
    leader!.kill('SIGKILL');
    await leader!.exited;

    // A standby takes over within a few poll intervals, and only one does.
    const next = await waitFor(async () => (await leaders()).filter((runner) => runner !== leader)[0], {
      what: 'a standby to take over',
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    await next.waitForStatus((status) => status.ready && status.phase === 'running', 'running as leader');
    metrics.failover_after_sigkill_ms = Math.round(performance.now() - killedAt);
    expect(await leaders()).toEqual([next]);
    expect(alive()).toHaveLength(2);

    // The waiting jobs are done by the new leader; the interrupted ones are recovered as stalled
    // (started a second time) and wait on their locks again.
    await waitFor(
      async () => {
        const rows = await Promise.all(queued.map((document) => stack.task(document.taskId)));
        return rows.every((row) => row?.status === 'succeeded');
      },
      { what: 'queued jobs done by the new leader', timeoutMs: 20_000 },
    );
    await waitFor(
      async () => {
        const jobs = await Promise.all(heldTasks.map((id) => queue.getJob(id)));
        return jobs.every((job) => job && job.attemptsStarted >= 2) ? jobs : undefined;
      },
      { what: 'interrupted jobs started again after stall recovery', timeoutMs: 20_000 },
    );
    metrics.stall_recovery_after_sigkill_ms = Math.round(performance.now() - killedAt);
    for (const lock of locks) await lock.release();

    await waitFor(
      async () => {
        const rows = await Promise.all(heldTasks.map((id) => stack.task(id)));
        return rows.every((row) => row?.status === 'succeeded');
      },
      { what: 'interrupted jobs completed', timeoutMs: 20_000 },
    );
    for (const id of heldTasks) {
      // A crash does not use up an attempt: the re-run is still attempt 1.
      expect(await stack.task(id)).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
      expect(await queue.getJobState(id)).toBe('completed');
    }
    const documentIds = [...quick, ...queued].map((d) => d.documentId).concat(held);
    for (const documentId of documentIds) {
      const counts = await chunkCounts(documentId);
      expect(counts, documentId).toEqual({
        stored: counts.expected,
        expected: counts.expected,
        status: 'ready',
      });
    }
  });

  it('SIGTERM during a job: the job completes, the process exits 0, the last standby takes over at once', async () => {
    const [leader] = await leaders();
    const [standby] = alive().filter((runner) => runner !== leader);
    expect(leader && standby).toBeDefined();

    const [document] = await stack.db
      .insert(documents)
      .values({ ownerId: 'owner', title: 'term', content: documentText(12, 'term'), contentHash: 'h' })
      .returning();
    const lock = await stack.lockDocument(document!.id);
    const taskId = await enqueueExisting(document!.id);
    await waitFor(async () => (await stack.task(taskId))?.status === 'running', { what: 'job running' });

    const signalledAt = performance.now();
    leader!.kill('SIGTERM');
    // The job is still busy; it gets to finish as soon as its document is free.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(leader!.child.exitCode).toBeNull();
    await lock.release();

    const exit = await leader!.exited;
    metrics.sigterm_to_exit_ms = Math.round(exit.at - signalledAt);
    expect(exit).toMatchObject({ code: 0, signal: null });
    // Within the shutdown budget (8 s here), with room to spare.
    expect(exit.at - signalledAt).toBeLessThan(8_000);
    expect(await stack.task(taskId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(leader!.output()).toContain('"outcome":"drained"');
    expect(leader!.output()).toContain('leadership released');

    // The lock was released on the way out: the standby does not wait for a session to die.
    await standby!.waitForStatus((status) => status.role === 'leader' && status.ready, 'leading');
    metrics.takeover_after_sigterm_exit_ms = Math.round(performance.now() - exit.at);
    expect(performance.now() - exit.at).toBeLessThan(POLL_MS + 5_000);

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
