import { runs } from '@repo/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendLive,
  createRunFeed,
  endRun,
  readLive,
  readStoredEvents,
  runStreamKey,
  storeEvents,
  type RunEvent,
  type RunFeed,
} from '../src/index.ts';
import { createRunsFixture, type RunsFixture } from './support.ts';

let fixture: RunsFixture;
let feed: RunFeed;

beforeAll(async () => {
  fixture = await createRunsFixture();
  // Short polls: the tests that take the notification away wait for them.
  feed = createRunFeed({
    db: fixture.db,
    redis: fixture.redis,
    subscriber: fixture.subscriber,
    prefix: fixture.prefix,
    pollMs: 100,
    checkEvery: 2,
  });
});

afterAll(async () => {
  feed?.close();
  await fixture?.close();
});

const delta = (seq: number): RunEvent => ({
  seq,
  type: 'text-delta',
  data: { type: 'text-delta', text: `${seq} ` },
});
const done = (seq: number): RunEvent => ({ seq, type: 'done', data: { finished: true } });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function collect(runId: string, after: number, signal?: AbortSignal): Promise<number[]> {
  const seen: number[] = [];
  for await (const event of feed.follow(runId, after, signal)) seen.push(event.seq);
  return seen;
}

/** Stores events 1..n durably and marks the run as having stored them. */
async function storeUpTo(runId: string, events: RunEvent[]) {
  await fixture.db.transaction(async (tx) => {
    await storeEvents(tx, runId, events);
    await tx
      .update(runs)
      .set({ lastSeq: events.at(-1)!.seq })
      .where(eq(runs.id, runId));
  });
}

describe('the live stream', () => {
  it('resumes exactly after a seq, keeps entries as ids <seq>-0, expires, and refuses a repeated seq', async () => {
    const runId = await fixture.newRun();
    await appendLive(fixture.redis, fixture.prefix, runId, range(1, 5).map(delta), { final: false });
    expect((await readLive(fixture.redis, fixture.prefix, runId, 2)).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(await readLive(fixture.redis, fixture.prefix, runId, 2)).toContainEqual(delta(3));
    const ttl = await fixture.redis.pttl(runStreamKey(fixture.prefix, runId));
    expect(ttl).toBeGreaterThan(60_000);

    // A writer that lost its run cannot rewrite what followers saw.
    await appendLive(fixture.redis, fixture.prefix, runId, [{ ...delta(4), data: { forged: true } }], {
      final: true,
    });
    expect((await readLive(fixture.redis, fixture.prefix, runId, 3))[0]).toEqual(delta(4));
    expect(await fixture.redis.pttl(runStreamKey(fixture.prefix, runId))).toBeLessThanOrEqual(60_000);
  });

  it('stays bounded: approximate trimming keeps the tail, not the whole run', async () => {
    const runId = await fixture.newRun();
    const bounds = { maxLength: 100, activeTtlMs: 60_000, finishedTtlMs: 1_000 };
    for (let batch = 0; batch < 20; batch++) {
      const events = range(batch * 50 + 1, batch * 50 + 50).map(delta);
      await appendLive(fixture.redis, fixture.prefix, runId, events, { final: false, bounds });
    }
    const length = await fixture.redis.xlen(runStreamKey(fixture.prefix, runId));
    expect(length).toBeLessThan(300);
    expect((await readLive(fixture.redis, fixture.prefix, runId, 990)).map((e) => e.seq)).toEqual(
      range(991, 1000),
    );
  });
});

describe('following a run', () => {
  it('replays a finished run completely from Postgres, page by page, and ends', async () => {
    const runId = await fixture.newRun({ status: 'succeeded' });
    await storeUpTo(runId, [...range(1, 1_499).map(delta), done(1_500)]);
    expect(await collect(runId, 0)).toEqual(range(1, 1_500));
    expect(await collect(runId, 1_200)).toEqual(range(1_201, 1_500));
    expect(await collect(runId, 1_500)).toEqual([]);
  });

  it('tails a running run live, as the events are appended, until its final event', async () => {
    const runId = await fixture.newRun();
    const seen = collect(runId, 0);
    for (const seq of range(1, 10)) {
      await appendLive(fixture.redis, fixture.prefix, runId, [delta(seq)], { final: false });
    }
    await appendLive(fixture.redis, fixture.prefix, runId, [done(11)], { final: true });
    expect(await seen).toEqual(range(1, 11));
  });

  it("is woken by the run's notifications, not by its polls", async () => {
    const patient = createRunFeed({
      db: fixture.db,
      redis: fixture.redis,
      subscriber: fixture.subscriber,
      prefix: fixture.prefix,
      pollMs: 60_000,
    });
    try {
      const runId = await fixture.newRun();
      const seen: number[] = [];
      const following = (async () => {
        for await (const event of patient.follow(runId, 0)) seen.push(event.seq);
      })();
      // Polling once a minute, the follower can only keep up within the test's time if it is told:
      // each event is appended once the previous one arrived.
      let appended = 0;
      await expect
        .poll(async () => {
          if (appended === seen.length) {
            await appendLive(fixture.redis, fixture.prefix, runId, [delta(++appended)], { final: false });
          }
          return seen.length;
        })
        .toBeGreaterThanOrEqual(3);
      await appendLive(fixture.redis, fixture.prefix, runId, [done(appended + 1)], { final: true });
      await following;
      expect(seen).toEqual(range(1, seen.length));
    } finally {
      patient.close();
    }
  });

  it('joins Postgres and a trimmed stream without a gap or a repeat', async () => {
    const runId = await fixture.newRun();
    // Postgres has 1-40; the stream kept only 30-45 (older entries trimmed).
    await storeUpTo(runId, range(1, 40).map(delta));
    await appendLive(fixture.redis, fixture.prefix, runId, range(30, 45).map(delta), { final: false });
    const seen = collect(runId, 10);
    await appendLive(fixture.redis, fixture.prefix, runId, [done(46)], { final: true });
    expect(await seen).toEqual(range(11, 46));
  });

  it('reads Postgres when the stream is gone (Redis restarted) and notices the end without a notification', async () => {
    const runId = await fixture.newRun();
    await storeUpTo(runId, range(1, 5).map(delta));
    const seen = collect(runId, 0);
    // The run ends in Postgres only: no stream, no notification (the polls find it).
    await storeUpTo(runId, [delta(6), done(7)]);
    await fixture.db.update(runs).set({ status: 'succeeded' }).where(eq(runs.id, runId));
    expect(await seen).toEqual(range(1, 7));
  });

  it('ends when its signal aborts, and unsubscribes', async () => {
    const runId = await fixture.newRun();
    const controller = new AbortController();
    const seen = collect(runId, 0, controller.signal);
    await appendLive(fixture.redis, fixture.prefix, runId, [delta(1)], { final: false });
    setTimeout(() => controller.abort(), 300);
    expect(await seen).toEqual([1]);
    await expect
      .poll(async () => {
        const [, subscribers] = (await fixture.redis.call(
          'pubsub',
          'numsub',
          `${fixture.prefix}:run-events:${runId}`,
        )) as [string, number];
        return subscribers;
      })
      .toBe(0);
  });
});

describe('ending a run no agent executes', () => {
  it('numbers the final event after everything streamed, stores it with the status, and tells followers', async () => {
    const runId = await fixture.newRun({ leaseMs: -1_000 });
    // The lost agent stored 1-3 and streamed 4-6 before it died.
    await storeUpTo(runId, range(1, 3).map(delta));
    await appendLive(fixture.redis, fixture.prefix, runId, range(4, 6).map(delta), { final: false });
    const seen = collect(runId, 0);
    const event = await endRun({
      db: fixture.db,
      redis: fixture.redis,
      prefix: fixture.prefix,
      runId,
      from: ['running'],
      status: 'failed',
      errorCode: 'agent-lost',
      error: 'The agent running this turn stopped.',
      event: { type: 'error', data: { code: 'agent-lost' } },
    });
    expect(event?.seq).toBe(7);
    expect(await seen).toEqual(range(1, 7));
    const [row] = await fixture.db.select().from(runs).where(eq(runs.id, runId));
    expect(row).toMatchObject({ status: 'failed', errorCode: 'agent-lost', lastSeq: 7, leaseOwner: null });
    expect(row!.finishedAt).toBeInstanceOf(Date);
    // What the lost agent had only streamed is in the log now, before the final event.
    expect((await readStoredEvents(fixture.db, runId, 0)).map((e) => [e.seq, e.type])).toEqual([
      ...range(1, 6).map((seq) => [seq, 'text-delta']),
      [7, 'error'],
    ]);
    // A follower replaying the finished run from Postgres gets all of it.
    expect(await collect(runId, 0)).toEqual(range(1, 7));
    // Once: a second attempt finds the run no longer running.
    const again = await endRun({
      db: fixture.db,
      redis: fixture.redis,
      prefix: fixture.prefix,
      runId,
      from: ['running'],
      status: 'failed',
      errorCode: 'agent-lost',
      error: 'x',
      event: { type: 'error', data: {} },
    });
    expect(again).toBeUndefined();
  });
});
