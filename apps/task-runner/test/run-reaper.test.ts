import { conversations, runEvents, runMigrations, runs, runToolCalls } from '@repo/db';
import { appendLive, readStoredEvents } from '@repo/runs';
import { waitFor } from '@repo/testing';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reapRuns } from '../src/runs/run-reaper.ts';
import { createTestRunner, silentLogger, type TestRunner } from './support/test-runner.ts';

let t: TestRunner;

beforeAll(async () => {
  t = await createTestRunner({ env: { RUN_REAPER_INTERVAL_MS: '1000' } });
  await runMigrations({ connectionString: t.database.url, tls: { mode: 'disable' }, logger: silentLogger });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function runningRun(leaseMs: number) {
  const [conversation] = await t.db
    .insert(conversations)
    .values({ ownerId: 'alice', title: 'reaper' })
    .returning({ id: conversations.id });
  const [run] = await t.db
    .insert(runs)
    .values({
      ownerId: 'alice',
      conversationId: conversation!.id,
      status: 'running',
      provider: 'test',
      model: 'm',
      leaseOwner: 'agent-gone',
      leaseExpiresAt: new Date(Date.now() + leaseMs),
    })
    .returning({ id: runs.id });
  return run!.id;
}

/** A run paused for one tool call's approval, the call expiring in `expiresInMs`, last seq 3. */
async function waitingRun(expiresInMs: number, decision: 'pending' | 'approved' = 'pending') {
  const [conversation] = await t.db
    .insert(conversations)
    .values({ ownerId: 'alice', title: 'approval' })
    .returning({ id: conversations.id });
  const [run] = await t.db
    .insert(runs)
    .values({
      ownerId: 'alice',
      conversationId: conversation!.id,
      status: 'awaiting_approval',
      provider: 'test',
      model: 'm',
      lastSeq: 3,
    })
    .returning({ id: runs.id });
  await t.db.insert(runToolCalls).values({
    runId: run!.id,
    toolCallId: 'call-1',
    toolName: 'create_task',
    idempotencyKey: `${run!.id}:call-1`,
    needsApproval: true,
    approvalId: 'approval-1',
    decision,
    expiresAt: new Date(Date.now() + expiresInMs),
  });
  return run!.id;
}

const reap = (agent?: { continueRun: (input: { ownerId: string; runId: string }) => Promise<boolean> }) =>
  reapRuns({
    db: t.db,
    redis: t.connections.redis.queue,
    prefix: t.prefix,
    logger: silentLogger,
    ...(agent ? { agent } : {}),
  });

describe('the reaper and runs waiting for approval', () => {
  it('fails a run whose pending approval expired with approval-expired and a final event; leaves one still in time', async () => {
    const expired = await waitingRun(-1_000);
    const inTime = await waitingRun(60_000);
    expect((await reap()).expired).toBe(1);

    const [failed] = await t.db.select().from(runs).where(eq(runs.id, expired));
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'approval-expired', lastSeq: 4 });
    expect(failed!.finishedAt).toBeInstanceOf(Date);
    expect(await readStoredEvents(t.db, expired, 0)).toEqual([
      {
        seq: 4,
        type: 'error',
        data: expect.objectContaining({
          code: 'approval-expired',
          type: 'urn:keelson:problem:approval-expired',
        }),
      },
    ]);
    const [call] = await t.db.select().from(runToolCalls).where(eq(runToolCalls.runId, expired));
    expect(call).toMatchObject({ decision: 'expired' });
    const [waiting] = await t.db.select().from(runs).where(eq(runs.id, inTime));
    expect(waiting).toMatchObject({ status: 'awaiting_approval' });
    expect((await reap()).expired).toBe(0);
  });

  it('asks an agent again to continue a decided run nobody continued, and not one still pending', async () => {
    const decided = await waitingRun(60_000, 'approved');
    const pending = await waitingRun(60_000);
    // Decided a while ago (the api's own request to the agent was lost).
    await t.db
      .update(runs)
      .set({ updatedAt: new Date(Date.now() - 60_000) })
      .where(eq(runs.id, decided));
    await t.db
      .update(runs)
      .set({ updatedAt: new Date(Date.now() - 60_000) })
      .where(eq(runs.id, pending));
    const asked: string[] = [];
    const result = await reap({
      // Accepted only for the decided run: one asked for by mistake would not count.
      continueRun: async ({ runId }) => {
        asked.push(runId);
        return runId === decided;
      },
    });
    expect(asked).toEqual([decided]);
    expect(result.continued).toBe(1);
  });

  it('marks the calls expired in the same transaction that fails the run: both change, or neither', async () => {
    const runId = await waitingRun(-1_000);
    // A fault between the two writes: Postgres refuses to mark this run's calls expired.
    await t.db.execute(sql`
      create function refuse_expiry() returns trigger language plpgsql as $$
      begin raise exception 'refused for the test'; end $$;
      create trigger refuse_expiry before update on run_tool_calls for each row
      when (new.decision = 'expired' and new.run_id = ${sql.raw(`'${runId}'`)}) execute function refuse_expiry();
    `);
    try {
      await expect(reap()).rejects.toThrow();
      const [run] = await t.db.select().from(runs).where(eq(runs.id, runId));
      expect(run).toMatchObject({ status: 'awaiting_approval', lastSeq: 3 });
      expect(await readStoredEvents(t.db, runId, 0)).toEqual([]);
      const [call] = await t.db.select().from(runToolCalls).where(eq(runToolCalls.runId, runId));
      expect(call).toMatchObject({ decision: 'pending' });
    } finally {
      await t.db.execute(sql`drop trigger refuse_expiry on run_tool_calls; drop function refuse_expiry()`);
    }
    // Without the fault, the next pass ends the run and expires its call together.
    expect((await reap()).expired).toBe(1);
    const [run] = await t.db.select().from(runs).where(eq(runs.id, runId));
    expect(run).toMatchObject({ status: 'failed', errorCode: 'approval-expired' });
    const [call] = await t.db.select().from(runToolCalls).where(eq(runToolCalls.runId, runId));
    expect(call).toMatchObject({ decision: 'expired' });
  });
});

describe('the run reaper', () => {
  it('fails a run whose lease expired with agent-lost and a final event after everything streamed; leaves a live one alone', async () => {
    const lost = await runningRun(-1_000);
    const alive = await runningRun(60_000);
    // The lost agent streamed events 1-4 but never stored them.
    await appendLive(
      t.connections.redis.queue,
      t.prefix,
      lost,
      [1, 2, 3, 4].map((seq) => ({ seq, type: 'text-delta' as const, data: { text: 'x' } })),
      { final: false },
    );
    const result = await reapRuns({
      db: t.db,
      redis: t.connections.redis.queue,
      prefix: t.prefix,
      logger: silentLogger,
    });
    expect(result.reaped).toBe(1);

    const [failed] = await t.db.select().from(runs).where(eq(runs.id, lost));
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'agent-lost', leaseOwner: null, lastSeq: 5 });
    // The events it had only streamed are stored now, before the final one.
    const log = await readStoredEvents(t.db, lost, 0);
    expect(log.map((event) => event.type)).toEqual([
      'text-delta',
      'text-delta',
      'text-delta',
      'text-delta',
      'error',
    ]);
    expect(log.slice(4)).toEqual([
      {
        seq: 5,
        type: 'error',
        data: expect.objectContaining({
          status: 503,
          code: 'agent-lost',
          runId: lost,
          type: 'urn:keelson:problem:agent-lost',
        }),
      },
    ]);
    const [untouched] = await t.db.select().from(runs).where(eq(runs.id, alive));
    expect(untouched).toMatchObject({ status: 'running', lastSeq: 0 });
    // Nothing twice: a second pass finds nothing more to do.
    expect(
      (await reapRuns({ db: t.db, redis: t.connections.redis.queue, prefix: t.prefix, logger: silentLogger }))
        .reaped,
    ).toBe(0);
  });

  it('runs on the leader every RUN_REAPER_INTERVAL_MS, as a scheduled job', async () => {
    await t.startLeading();
    const lost = await runningRun(500);
    const [row] = await waitFor(
      async () => {
        const rows = await t.db.select().from(runs).where(eq(runs.id, lost));
        return rows[0]?.status === 'failed' ? rows : undefined;
      },
      { timeoutMs: 15_000, what: 'the lost run failed by the scheduled reaper' },
    );
    expect(row).toMatchObject({ errorCode: 'agent-lost' });
    const events = await t.db
      .select()
      .from(runEvents)
      .where(eq(runEvents.runId, lost))
      .orderBy(asc(runEvents.seq));
    expect(events.map((event) => event.type)).toEqual(['error']);
  });
});
