import { documents, readBundledMigrations, runMigrations, tasks } from '@repo/db';
import { publishCancellation } from '@repo/queue';
import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { LEADER_LOCK_KEY } from '../src/leadership/leader-lock.ts';
import { createTestRunner, sample, silentLogger, type TestRunner } from './support/test-runner.ts';
import { createTestStack, documentText, type TestStack } from './support/test-stack.ts';

/**
 * What every replica does besides leading, with runners in this process: a standby waits for
 * the schema of its build before it takes any job, then works; a cancellation reaches the
 * replica that runs the job; the leader writes the queues' global concurrency.
 */
const runners: TestRunner[] = [];
const stacks: TestStack[] = [];

async function runner(stack: TestStack, env: Record<string, string> = {}) {
  const created = await createTestRunner({ stack, env: { INGEST_TIMEOUT_MS: '60000', ...env } });
  runners.push(created);
  return created;
}
async function stackFor(label: string) {
  const stack = await createTestStack(label);
  stacks.push(stack);
  return stack;
}

afterAll(async () => {
  for (const created of runners) await created.close();
  for (const stack of stacks) await stack.close();
});

async function insertDocument(stack: TestStack, tag: string) {
  const [document] = await stack.db
    .insert(documents)
    .values({ ownerId: 'owner', title: tag, content: documentText(4, tag), contentHash: 'h' })
    .returning();
  const [task] = await stack.db
    .insert(tasks)
    .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId: document!.id } })
    .returning();
  return { documentId: document!.id, taskId: task!.id };
}

describe('a replica that is not the leader', () => {
  let stack: TestStack;
  let leaderSession: pg.Client;

  beforeAll(async () => {
    stack = await stackFor('replica_schema');
    // Another process leads (this session holds the leader lock) and has not migrated yet.
    leaderSession = new pg.Client({ connectionString: stack.database.url });
    await leaderSession.connect();
    await leaderSession.query('select pg_advisory_lock($1)', [LEADER_LOCK_KEY.toString()]);
  });
  afterAll(async () => {
    await leaderSession?.end();
  });

  it('takes no job before the migrations of its build are applied, then works without leading', async () => {
    const standby = await runner(stack);
    await standby.runner.start();
    const bundled = readBundledMigrations().map((migration) => migration.tag);
    await waitFor(() => standby.runner.status().ready, { what: 'standby ready' });
    // Ready (a rollout waiting on it does not stall), but not working: the schema is unknown.
    expect(standby.runner.status()).toMatchObject({
      role: 'standby',
      phase: 'standby',
      migrations: { state: 'not-run' },
      workers: { running: false, queues: [], replica: 'waiting-for-schema', pendingMigrations: bundled },
    });

    // A job queued meanwhile (its rows cannot exist yet: the tables do not) stays in the queue.
    await stack.producer.enqueue(
      'ingest-document',
      { taskId: crypto.randomUUID(), documentId: crypto.randomUUID() },
      { jobId: 'early' },
    );
    await new Promise((resolve) => setTimeout(resolve, 3 * standby.config.LEADER_POLL_MS));
    expect(await (await stack.producer.queue('ingest-document')).getJobState('early')).toBe('waiting');

    // The leader migrates: the standby's workers start within a poll, and it still does not lead.
    await runMigrations({
      connectionString: stack.database.url,
      tls: { mode: 'disable' },
      logger: silentLogger,
    });
    await waitFor(() => standby.runner.status().workers.running, { what: 'standby working' });
    expect(standby.runner.status()).toMatchObject({
      ready: true,
      role: 'standby',
      workers: {
        replica: 'running',
        pendingMigrations: [],
        queues: ['ingest-document', 'agent-run', 'summarize-conversation', 'reap-runs'],
      },
      migrations: { state: 'not-run', applied: [] },
    });
    // The early job's task and document never existed: skipped, not failed.
    await waitFor(
      async () =>
        (await (await stack.producer.queue('ingest-document')).getJobState('early')) === 'completed',
      {
        what: 'the early job done',
      },
    );
    const { documentId, taskId } = await insertDocument(stack, 'standby');
    await stack.producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId });
    await waitFor(async () => (await stack.task(taskId))?.status === 'succeeded', {
      what: 'a standby ingested',
    });
    expect(await sample(standby.metrics, 'task_runner_leader')).toBe(0);
  });
});

describe('cancellation with several replicas', () => {
  it('reaches the replica that runs the job, whichever it is', async () => {
    const stack = await stackFor('replica_cancel');
    // The leader runs one ingestion at a time and is kept busy with the first; the second can
    // only run on the standby.
    const leader = await runner(stack, { INGEST_CONCURRENCY: '1' });
    await leader.startLeading();
    const first = await insertDocument(stack, 'first');
    const firstLock = await stack.lockDocument(first.documentId);
    await stack.producer.enqueue('ingest-document', first, { jobId: first.taskId });
    await waitFor(async () => (await stack.task(first.taskId))?.status === 'running', {
      what: 'first running',
    });

    const standby = await runner(stack);
    await standby.runner.start();
    await waitFor(() => standby.runner.status().workers.running, { what: 'standby working' });
    expect(standby.runner.status().role).toBe('standby');
    const second = await insertDocument(stack, 'second');
    const secondLock = await stack.lockDocument(second.documentId);
    await stack.producer.enqueue('ingest-document', second, { jobId: second.taskId });
    await waitFor(async () => (await stack.task(second.taskId))?.status === 'running', {
      what: 'second running',
    });

    // The api marks the row and publishes on the channel every replica subscribes to.
    await publishCancellation(leader.connections.redis.queue, leader.config.QUEUE_PREFIX, second.taskId);
    await waitFor(async () => (await stack.task(second.taskId))?.status === 'cancelled', {
      what: 'second cancelled',
    });
    const cancelled = { queue: 'ingest-document', outcome: 'cancelled' };
    expect(await sample(standby.metrics, 'bullmq_job_duration_seconds_count', cancelled)).toBe(1);
    expect(await sample(leader.metrics, 'bullmq_job_duration_seconds_count', cancelled)).toBeUndefined();
    expect(await stack.task(first.taskId)).toMatchObject({ status: 'running' });

    await firstLock.release();
    await secondLock.release();
    await waitFor(async () => (await stack.task(first.taskId))?.status === 'succeeded', {
      what: 'first done',
    });
  });
});

describe('the leader', () => {
  it("writes each queue's global concurrency from the job table: one summary at a time across replicas", async () => {
    const stack = await stackFor('replica_settings');
    const queue = await stack.producer.queue('summarize-conversation');
    // A limit left by an older release on a queue that should have none is removed.
    await (await stack.producer.queue('ingest-document')).setGlobalConcurrency(7);
    const leader = await runner(stack);
    await leader.startLeading();
    expect(await queue.getGlobalConcurrency()).toBe(1);
    expect(await (await stack.producer.queue('ingest-document')).getGlobalConcurrency()).toBeNull();
    expect(await (await stack.producer.queue('agent-run')).getGlobalConcurrency()).toBeNull();
  });
});
