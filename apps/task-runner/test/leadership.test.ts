import { documents, tasks } from '@repo/db';
import { waitFor } from '@repo/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { z } from 'zod';
import type { JobDefinition } from '../src/jobs/job-definition.ts';
import { jobTable, type JobTableDependencies } from '../src/jobs/job-table.ts';
import { whenAborted } from '../src/support/time-bounds.ts';
import { createTestRunner, sample, type TestRunner, type TestRunnerOptions } from './support/test-runner.ts';
import { createTestStack, documentText, type TestStack } from './support/test-stack.ts';

let stack: TestStack;
const runners: TestRunner[] = [];

beforeAll(async () => {
  stack = await createTestStack('leadership_inproc');
});
afterAll(async () => {
  for (const runner of runners) await runner.close();
  await stack?.close();
});

async function runner(jobs?: TestRunnerOptions['jobs']) {
  const created = await createTestRunner({ stack, env: { INGEST_TIMEOUT_MS: '60000' }, jobs });
  runners.push(created);
  return created;
}

/**
 * A job of the leader's own (like maintenance) that stays busy until the test lets it go, or its
 * signal aborts: what a term's fence does to the leader's work, without waiting on a schedule.
 */
function leaderJobTable(release: Promise<void>, started: string[]) {
  const leaderJob: JobDefinition<Record<string, unknown>> = {
    name: 'leader-duty',
    payload: z.record(z.string(), z.unknown()),
    runsOn: 'leader',
    concurrency: 1,
    timeoutMs: 60_000,
    async process(_payload, { signal }) {
      started.push(String(signal.aborted));
      await Promise.race([release, whenAborted(signal).then(() => signal.throwIfAborted())]);
      return 'done';
    },
  };
  return (shared: JobTableDependencies) => [...jobTable(shared), leaderJob as JobDefinition];
}

describe('leadership inside the runner', () => {
  it("a standby works on every replica's jobs; a leader that loses its lock hands back only its own jobs and stands by", async () => {
    let letGo!: () => void;
    const release = new Promise<void>((resolve) => (letGo = resolve));
    const startedA: string[] = [];
    const startedB: string[] = [];
    const a = await runner(leaderJobTable(release, startedA));
    await a.startLeading();
    const b = await runner(leaderJobTable(release, startedB));
    await b.runner.start();
    await waitFor(() => b.runner.status().ready && b.runner.status().workers.running, {
      what: 'standby ready and working',
    });
    expect(b.runner.status()).toMatchObject({
      ready: true,
      role: 'standby',
      phase: 'standby',
      workers: {
        running: true,
        replica: 'running',
        queues: ['ingest-document', 'agent-run', 'summarize-conversation'],
      },
      migrations: { state: 'not-run' },
    });
    expect(a.runner.status().workers.queues).toEqual([
      'ingest-document',
      'agent-run',
      'summarize-conversation',
      'maintenance',
      'leader-duty',
    ]);
    expect(await sample(b.metrics, 'task_runner_leader')).toBe(0);

    // An ingestion busy on a locked document (on whichever replica fetched it), and a job of the
    // leader's own, busy on the leader.
    const [document] = await stack.db
      .insert(documents)
      .values({ ownerId: 'owner', title: 'busy', content: documentText(4), contentHash: 'h' })
      .returning();
    const lock = await stack.lockDocument(document!.id);
    const [task] = await stack.db
      .insert(tasks)
      .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId: document!.id } })
      .returning();
    await stack.producer.enqueue(
      'ingest-document',
      { taskId: task!.id, documentId: document!.id },
      { jobId: task!.id },
    );
    const duties = new Queue('leader-duty', { connection: a.connections.redis.queue, prefix: stack.prefix });
    await duties.add('leader-duty', {}, { jobId: 'duty-1' });
    await waitFor(async () => (await stack.task(task!.id))?.status === 'running', {
      what: 'ingestion running',
    });
    await waitFor(() => startedA.length === 1, { what: "the leader's duty running on the leader" });

    // The server ends the leader's lock session (a failover, an admin, a network reset).
    await stack.db.execute(
      sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted and pid <> pg_backend_pid()
          and database = (select oid from pg_database where datname = current_database())`,
    );

    await waitFor(() => b.runner.status().role === 'leader' && b.runner.status().ready, {
      what: 'standby took over',
    });
    // The old leader stopped its own workers and stands by, still working on every replica's jobs.
    await waitFor(() => a.runner.status().phase === 'standby', { what: 'old leader standing by' });
    expect(a.runner.status()).toMatchObject({
      role: 'standby',
      workers: { running: true, queues: ['ingest-document', 'agent-run', 'summarize-conversation'] },
      leadership: { terms: 1 },
    });
    expect(await sample(a.metrics, 'task_runner_leader')).toBe(0);
    // Its duty was handed back (not failed) and runs again on the new leader, and only there.
    expect(
      await sample(a.metrics, 'bullmq_job_duration_seconds_count', {
        queue: 'leader-duty',
        outcome: 'interrupted',
      }),
    ).toBe(1);
    await waitFor(() => startedB.length === 1, { what: 'the duty running on the new leader' });
    expect(startedA).toHaveLength(1);
    // The ingestion was not interrupted: no replica handed an ingestion back (no such series).
    for (const t of [a, b]) {
      expect(
        await sample(t.metrics, 'bullmq_job_duration_seconds_count', {
          queue: 'ingest-document',
          outcome: 'interrupted',
        }),
      ).toBeUndefined();
    }

    letGo();
    await lock.release();
    const done = await waitFor(
      async () => {
        const row = await stack.task(task!.id);
        return row?.status === 'succeeded' ? row : undefined;
      },
      { what: 'ingestion done' },
    );
    expect(done).toMatchObject({ attempts: 1, error: null });
    await waitFor(async () => (await duties.getJobState('duty-1')) === 'completed', {
      what: 'duty completed',
    });
    await duties.close();
  });
});

describe('a leader whose migrations fail', () => {
  it('reports failed, gives the lock back and tells its process to exit (no workers on an old schema)', async () => {
    const broken = await createTestStack('broken_schema');
    // A table in the way of the initial migration.
    await broken.db.execute(sql`create table documents (id int)`);
    const fatal: Error[] = [];
    const t = await createTestRunner({ stack: broken, onFatal: (error) => fatal.push(error) });
    try {
      await t.runner.start();
      await waitFor(() => fatal.length > 0, { what: 'fatal error reported' });
      expect(fatal[0]!.message).toBe('migrations failed');
      expect(t.runner.status()).toMatchObject({
        ready: false,
        role: 'standby',
        phase: 'failed',
        migrations: { state: 'failed' },
        workers: { running: false, queues: [] },
      });
      const held = await broken.db.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted
            and database = (select oid from pg_database where datname = current_database())`,
      );
      expect(held.rows[0]!.n).toBe(0);
    } finally {
      await t.close();
      await broken.close();
    }
  });
});
