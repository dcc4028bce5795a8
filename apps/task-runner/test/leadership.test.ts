import { documents, tasks } from '@repo/db';
import { waitFor } from '@repo/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRunner, sample, type TestRunner } from './support/test-runner.ts';
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

async function runner() {
  const created = await createTestRunner({ stack, env: { INGEST_TIMEOUT_MS: '60000' } });
  runners.push(created);
  return created;
}

describe('leadership inside the runner', () => {
  it('a standby is ready and idle; a leader that loses its lock session hands its jobs back at once and stands by', async () => {
    const a = await runner();
    await a.startLeading();
    const b = await runner();
    await b.runner.start();
    await waitFor(() => b.runner.status().ready, { what: 'standby ready' });
    expect(b.runner.status()).toMatchObject({
      ready: true,
      role: 'standby',
      phase: 'standby',
      workers: { running: false },
      migrations: { state: 'not-run' },
    });
    expect(await sample(b.metrics, 'task_runner_leader')).toBe(0);

    // A job busy on a locked document.
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
    await waitFor(async () => (await stack.task(task!.id))?.status === 'running', { what: 'job running' });

    // The server ends the leader's lock session (a failover, an admin, a network reset).
    await stack.db.execute(
      sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted and pid <> pg_backend_pid()
          and database = (select oid from pg_database where datname = current_database())`,
    );

    await waitFor(() => b.runner.status().role === 'leader' && b.runner.status().ready, {
      what: 'standby took over',
    });
    // The old leader stopped its workers and stands by; its job was handed back, not failed.
    await waitFor(() => a.runner.status().phase === 'standby', { what: 'old leader standing by' });
    expect(a.runner.status()).toMatchObject({
      role: 'standby',
      workers: { running: false },
      leadership: { terms: 1 },
    });
    expect(await sample(a.metrics, 'task_runner_leader')).toBe(0);
    // At least once: a fetch already on its way when the lock was lost is fenced and handed back too.
    const interrupted = { queue: 'ingest-document', outcome: 'interrupted' };
    expect(await sample(a.metrics, 'bullmq_job_duration_seconds_count', interrupted)).toBeGreaterThanOrEqual(
      1,
    );

    await lock.release();
    const done = await waitFor(
      async () => {
        const row = await stack.task(task!.id);
        return row?.status === 'succeeded' ? row : undefined;
      },
      { what: 'job done by the new leader' },
    );
    expect(done).toMatchObject({ attempts: 1, error: null });
    expect(
      await sample(b.metrics, 'bullmq_job_duration_seconds_count', {
        queue: 'ingest-document',
        outcome: 'completed',
      }),
    ).toBeGreaterThanOrEqual(1);
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
        workers: { running: false },
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
