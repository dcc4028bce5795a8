import { runEvents, runs } from '@repo/db';
import { script } from '@repo/fake-llm';
import { asc, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertConversation } from './support/fixtures.ts';
import { readEvents, type ParsedEvent } from './support/sse.ts';
import type { TestApp } from './support/test-app.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * Runs through the api, with the real agent executing them: two api instances (two replicas) on
 * one Postgres and one Redis, so a run started through one is followed, replayed and cancelled
 * through the other.
 */

let s: TestStack;
let other: TestApp;
let otherUrl: string;
let alice: { authorization: string };
let bob: { authorization: string };

beforeAll(async () => {
  s = await createTestStack();
  other = await s.apiWith({});
  otherUrl = await other.app.listen({ host: '127.0.0.1', port: 0 });
  alice = await s.api.auth('alice');
  bob = await s.api.auth('bob');
});
afterAll(async () => {
  await s?.close();
});
afterEach(() => {
  s.fake.requests.length = 0;
});

const slowText = (words: number, chunkDelayMs = 20) => ({ text: 'word '.repeat(words), chunkDelayMs });

const send = (conversationId: string, headers: Record<string, string> = {}, base = s.apiUrl) =>
  fetch(`${base}/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { ...alice, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ content: 'talk to me' }),
  });

const follow = (runId: string, base: string, headers: Record<string, string> = {}, query = '') =>
  fetch(`${base}/v1/runs/${runId}/events${query}`, { headers: { ...alice, ...headers } });

const stored = async (runId: string) =>
  (
    await s.api.db
      .select({ seq: runEvents.seq, type: runEvents.type, data: runEvents.data })
      .from(runEvents)
      .where(eq(runEvents.runId, runId))
      .orderBy(asc(runEvents.seq))
  ).map((row) => ({ id: String(row.seq), event: row.type, data: row.data }));

const asLogged = (events: ParsedEvent[]) => events.map(({ id, event, data }) => ({ id, event, data }));

describe('a run through the api', () => {
  it('names its run, streams numbered events, and reads back as a row with its usage', async () => {
    s.fake.setResponder(script({ text: 'A short answer.' }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const response = await send(conversationId, { accept: 'text/event-stream' });
    const runId = response.headers.get('x-keelson-run-id')!;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const events = await readEvents(response);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(asLogged(events)).toEqual(await stored(runId));

    const run = await s.api.app.inject({ url: `/v1/runs/${runId}`, headers: alice });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({
      id: runId,
      conversationId,
      status: 'succeeded',
      provider: 'openai-compatible',
      model: 'fake-model',
      steps: 1,
      error: null,
      lastSeq: events.length,
      replyMessageId: (events.at(-1)!.data as { reply: { id: string } }).reply.id,
    });
    expect(run.json().usage.outputTokens).toBeGreaterThan(0);

    // JSON mode names the run too.
    s.fake.setResponder(script({ text: 'Again.' }));
    const json = await send(conversationId);
    expect(json.status).toBe(200);
    const body = (await json.json()) as { runId: string };
    expect(json.headers.get('x-keelson-run-id')).toBe(body.runId);
    expect(body.runId).not.toBe(runId);
  });

  it('answers 409 naming the active run to a second message, on any replica', async () => {
    // ~4 s of streaming: the second message arrives while it runs, even on a loaded machine.
    s.fake.setResponder(script(slowText(200)));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const first = await send(conversationId, { accept: 'text/event-stream' });
    const runId = first.headers.get('x-keelson-run-id')!;
    const second = await send(conversationId, {}, otherUrl);
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await second.json()).toMatchObject({ type: 'urn:keelson:problem:run-active', activeRunId: runId });
    expect((await readEvents(first)).at(-1)!.event).toBe('done');
    // Once it ended, the conversation takes the next message.
    s.fake.setResponder(script({ text: 'Next.' }));
    expect((await send(conversationId, {}, otherUrl)).status).toBe(200);
  });

  it('is followed live from another api replica: the events its agent produces, none lost, none twice', async () => {
    s.fake.setResponder(script(slowText(80, 15)));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const started = await send(conversationId, { accept: 'text/event-stream' });
    const runId = started.headers.get('x-keelson-run-id')!;
    // The replica that started the run reads it from the agent; the other one from Redis/Postgres.
    let firstFollowedAt = 0;
    let directEndedAt = 0;
    let subscribers = 0;
    const [direct, followed] = await Promise.all([
      readEvents(started, (event) => {
        if (event.event === 'done') directEndedAt = performance.now();
      }),
      readEvents(await follow(runId, otherUrl), (event) => {
        firstFollowedAt ||= performance.now();
        // Woken by the run's notifications: the following replica listens on the run's channel.
        if (event.id === '2') {
          void s.api.redis
            .call('pubsub', 'numsub', `${s.api.prefix}:run-events:${runId}`)
            .then((reply) => (subscribers = Number((reply as [string, number])[1])));
        }
      }),
    ]);
    expect(subscribers).toBe(1);
    expect(followed.at(-1)!.event).toBe('done');
    // Live: the follower had events while the run was still going, not a replay after its end.
    expect(firstFollowedAt).toBeLessThan(directEndedAt);
    expect(asLogged(followed)).toEqual(asLogged(direct));
    expect(asLogged(followed)).toEqual(await stored(runId));
  });

  it('resumes after Last-Event-ID (or ?after=) mid-run on another replica, and replays a finished run from Postgres', async () => {
    s.fake.setResponder(script(slowText(80, 15)));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const controller = new AbortController();
    const response = await fetch(`${s.apiUrl}/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'talk' }),
      signal: controller.signal,
    });
    const runId = response.headers.get('x-keelson-run-id')!;
    // The connection drops after event 10 (a phone changing networks).
    const before = await readEvents(response, (event) => {
      if (event.id === '10') controller.abort();
    });
    // (An event or two already in the socket's buffer may still arrive: the client resumes after
    // the last one it got, as an EventSource would.)
    const lastId = Number(before.at(-1)!.id);
    expect(lastId).toBeGreaterThanOrEqual(10);
    const after = await readEvents(await follow(runId, otherUrl, { 'last-event-id': String(lastId) }));
    expect(after[0]!.id).toBe(String(lastId + 1));
    const whole = [...before, ...after];
    expect(whole.at(-1)!.event).toBe('done');
    expect(asLogged(whole)).toEqual(await stored(runId));

    // The run kept going without its client, and replays from Postgres once finished.
    const log = await stored(runId);
    expect((await s.api.db.select().from(runs).where(eq(runs.id, runId)))[0]).toMatchObject({
      status: 'succeeded',
    });
    expect(asLogged(await readEvents(await follow(runId, otherUrl, {}, '?after=40')))).toEqual(log.slice(40));
    expect(asLogged(await readEvents(await follow(runId, s.apiUrl)))).toEqual(log);
    expect(await readEvents(await follow(runId, s.apiUrl, {}, `?after=${log.length}`))).toEqual([]);
  });

  it('is cancelled through another replica: the slow model stops within a second, the partial answer is stored', async () => {
    s.fake.setResponder(script(slowText(500, 20)));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const disconnects = s.fake.disconnects;
    const response = await send(conversationId, { accept: 'text/event-stream' });
    const runId = response.headers.get('x-keelson-run-id')!;
    let cancelled: Promise<Response> | undefined;
    let sentAt = 0;
    const events = await readEvents(response, (event) => {
      if (event.id === '5') {
        sentAt = performance.now();
        cancelled = fetch(`${otherUrl}/v1/runs/${runId}/cancel`, { method: 'POST', headers: alice });
      }
    });
    const stoppedAfterMs = performance.now() - sentAt;
    // 202: the run was running, its agent stops it (the body may already show the end: the agent
    // is quick, and the api reads the row back after publishing the cancel).
    const answer = await cancelled!;
    expect(answer.status).toBe(202);
    const answered = (await answer.json()) as { status: string; cancelRequestedAt: string | null };
    expect(['running', 'cancelled']).toContain(answered.status);
    expect(answered.cancelRequestedAt).not.toBeNull();
    expect(stoppedAfterMs).toBeLessThan(1_000);
    expect(s.fake.disconnects).toBe(disconnects + 1);

    const last = events.at(-1)!;
    expect(last.event).toBe('cancelled');
    const partial = events
      .filter((e) => e.event === 'text-delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(partial.length).toBeGreaterThan(0);
    const run = (await other.app.inject({ url: `/v1/runs/${runId}`, headers: alice })).json();
    expect(run).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(run.cancelRequestedAt).not.toBeNull();
    const conversation = (
      await s.api.app.inject({ url: `/v1/conversations/${conversationId}`, headers: alice })
    ).json<{ messages: { role: string; content: string }[] }>();
    expect(conversation.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'talk to me'],
      ['assistant', partial],
    ]);

    // Idempotent: the finished run answers with its final state.
    const again = await s.api.app.inject({ method: 'POST', url: `/v1/runs/${runId}/cancel`, headers: alice });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: runId, status: 'cancelled' });
  });

  it("is another owner's business: 404 on every runs route", async () => {
    s.fake.setResponder(script({ text: 'Mine.' }));
    const conversationId = await insertConversation(s.api.db, 'alice');
    const runId = (await send(conversationId)).headers.get('x-keelson-run-id')!;
    for (const [method, url] of [
      ['GET', `/v1/runs/${runId}`],
      ['GET', `/v1/runs/${runId}/events`],
      ['POST', `/v1/runs/${runId}/cancel`],
      ['GET', `/v1/conversations/${conversationId}/runs`],
    ] as const) {
      const response = await other.app.inject({ method, url, headers: bob });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await s.api.db.select().from(runs).where(eq(runs.id, runId)))[0]?.status).toBe('succeeded');
  });
});

describe('cancelling', () => {
  it('ends a run that no agent holds (queued) at once, with its final event', async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    const [queued] = await s.api.db
      .insert(runs)
      .values({ ownerId: 'alice', conversationId, status: 'queued', provider: 'p', model: 'm' })
      .returning({ id: runs.id });
    const response = await other.app.inject({
      method: 'POST',
      url: `/v1/runs/${queued!.id}/cancel`,
      headers: alice,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' }, lastSeq: 1 });
    const events = await readEvents(await follow(queued!.id, s.apiUrl));
    expect(events).toEqual([
      {
        id: '1',
        event: 'cancelled',
        data: { runId: queued!.id, status: 'cancelled', code: 'cancelled', reply: null },
      },
    ]);
  });

  it('stops the runs of a conversation that is deleted, and the run of a cancelled agent-run task', async () => {
    const subscriber = s.api.redis.duplicate({ enableOfflineQueue: true });
    const heard: string[] = [];
    subscriber.on('message', (_channel: string, message: string) =>
      heard.push((JSON.parse(message) as { runId: string }).runId),
    );
    await subscriber.subscribe(`${s.api.prefix}:cancel-run`);
    try {
      // A conversation whose run is executing (its agent's lease, as the agent holds it).
      const deleted = await insertConversation(s.api.db, 'alice');
      const [executing] = await s.api.db
        .insert(runs)
        .values({ ownerId: 'alice', conversationId: deleted, status: 'running', provider: 'p', model: 'm' })
        .returning({ id: runs.id });
      expect(
        (await s.api.app.inject({ method: 'DELETE', url: `/v1/conversations/${deleted}`, headers: alice }))
          .statusCode,
      ).toBe(204);
      await expect.poll(() => heard).toContain(executing!.id);

      // A background task, and the run it started.
      const conversationId = await insertConversation(s.api.db, 'alice');
      const task = await s.api.app.inject({
        method: 'POST',
        url: '/v1/tasks',
        headers: alice,
        payload: { type: 'agent-run', input: { conversationId, content: 'later' } },
      });
      const taskId = task.json<{ id: string }>().id;
      const [taskRun] = await s.api.db
        .insert(runs)
        .values({ ownerId: 'alice', conversationId, taskId, status: 'running', provider: 'p', model: 'm' })
        .returning({ id: runs.id });
      const cancelled = await s.api.app.inject({
        method: 'POST',
        url: `/v1/tasks/${taskId}/cancel`,
        headers: alice,
      });
      expect(cancelled.statusCode).toBe(200);
      await expect.poll(() => heard).toContain(taskRun!.id);
      const [row] = await s.api.db.select().from(runs).where(eq(runs.id, taskRun!.id));
      expect(row!.cancelRequestedAt).toBeInstanceOf(Date);
    } finally {
      subscriber.disconnect();
    }
  });
});

describe("a conversation's runs", () => {
  it('are listed newest first with a keyset cursor: stable while runs are added, nothing twice or skipped', async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    const base = {
      ownerId: 'alice',
      conversationId,
      status: 'succeeded' as const,
      provider: 'p',
      model: 'm',
    };
    // Twelve runs, four of them at one instant: the id breaks the tie.
    const tie = new Date('2026-03-01T10:00:00.123456Z');
    const rows = await s.api.db
      .insert(runs)
      .values(
        Array.from({ length: 12 }, (_, i) => ({
          ...base,
          createdAt: i < 4 ? tie : new Date(tie.getTime() + i * 1_000),
        })),
      )
      .returning({ id: runs.id, createdAt: runs.createdAt });
    const expected = [...rows]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((row) => row.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/conversations/${conversationId}/runs?limit=5${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await other.app.inject({ url, headers: alice });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ items: { id: string }[]; nextCursor: string | null }>();
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      // A run started while paging lands in front of the cursor, never in a later page.
      if (seen.length === 5) await s.api.db.insert(runs).values({ ...base, createdAt: new Date() });
    } while (cursor);
    expect(seen).toEqual(expected);

    const bad = await other.app.inject({
      url: `/v1/conversations/${conversationId}/runs?cursor=nope`,
      headers: alice,
    });
    expect(bad.statusCode).toBe(400);
  });
});
