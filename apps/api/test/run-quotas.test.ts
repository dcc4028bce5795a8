import { ownerCounters, ownerQuotas, ownerSpend, runs, usageRecords } from '@repo/db';
import { waitFor } from '@repo/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConversation } from './support/fixtures.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * The run quotas (monthly tokens, concurrent runs) through three api instances (three replicas)
 * on one Postgres, with the real agent deciding each start in the statement that inserts the run.
 * The fake model holds its answers until a test lets them go, so the runs admitted stay going
 * while the others are refused.
 */

let s: TestStack;
let urls: string[];
// The agent's default context budget and longest answer: what each run going holds of the month.
const RESERVE = 8_000 + 1_024;

let release: () => void = () => {};
let gate: Promise<void> = Promise.resolve();
function closeGate() {
  gate = new Promise((resolve) => (release = resolve));
}

beforeAll(async () => {
  s = await createTestStack();
  urls = [s.apiUrl, await s.replicaUrl(), await s.replicaUrl()];
  s.fake.setResponder(async () => {
    await gate;
    return { text: 'done' };
  });
});
afterAll(async () => {
  release();
  await s?.close();
});

async function send(owner: string, conversationId: string, base: string) {
  const response = await fetch(`${base}/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { ...(await s.api.auth(owner)), 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'hello' }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    // A problem (or the turn's JSON): read by property in the assertions.
    body: (await response.json()) as Record<string, unknown> & { used: number },
  };
}

const runsOf = (owner: string) => s.api.db.$count(runs, eq(runs.ownerId, owner));

type Answer = Awaited<ReturnType<typeof send>>;

/**
 * `count` requests at once, spread over the three replicas, one conversation each; `answered`
 * fills as they answer (the refused at once, the admitted when the model answers).
 */
async function burst(owner: string, count: number) {
  const conversations = await Promise.all(
    Array.from({ length: count }, () => insertConversation(s.api.db, owner)),
  );
  const answered: Answer[] = [];
  const all = Promise.all(
    conversations.map((id, i) =>
      send(owner, id, urls[i % urls.length]!).then((answer) => {
        answered.push(answer);
        return answer;
      }),
    ),
  );
  return { answered, all };
}

describe('the monthly token quota', () => {
  it('starts at most 10 of 50 parallel turns on three replicas against a budget that allows 10, and 429s the rest naming it', async () => {
    const owner = 'quota-tokens';
    // Room for ten runs' reserve and not eleven.
    await s.api.db.insert(ownerQuotas).values({ ownerId: owner, maxMonthlyTokens: 11 * RESERVE - 1 });
    closeGate();
    const { answered, all } = await burst(owner, 50);
    // The refused answer at once; the admitted wait for the model, holding their reserve.
    await waitFor(() => answered.length >= 40, { what: 'forty answers', timeoutMs: 30_000 });
    expect(answered.filter((a) => a.status !== 429)).toEqual([]);
    expect(await runsOf(owner)).toBe(10);
    release();
    const answers = await all;
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(40);
    const resetsAt = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
    for (const answer of refused) {
      expect(answer.body).toMatchObject({
        type: 'urn:keelson:problem:quota-exceeded',
        status: 429,
        quota: 'monthly-tokens',
        limit: 11 * RESERVE - 1,
        // Nothing spent yet (every admitted run waits for its model call); ten runs hold their reserve.
        used: 0,
        reserved: 10 * RESERVE,
        resetsAt: resetsAt.toISOString(),
      });
      // Retry-After only when the month ends within the hour.
      const soon = resetsAt.getTime() - Date.now() <= 3_600_000;
      expect(answer.retryAfter !== null).toBe(soon);
    }
    // Every model call of the month is in the counter the next admission reads.
    const [spend] = await s.api.db.select().from(ownerSpend).where(eq(ownerSpend.ownerId, owner));
    const [recorded] = await s.api.db
      .select({ tokens: sql<string>`sum(${usageRecords.inputTokens} + ${usageRecords.outputTokens})` })
      .from(usageRecords)
      .where(eq(usageRecords.ownerId, owner));
    expect(spend!.monthTokens).toBe(Number(recorded!.tokens));
    expect(spend!.runsEnded).toBe(10);
  });

  it('refuses a run once the month is spent, and the default applies again when the override is cleared', async () => {
    const owner = 'quota-spent';
    const id = await insertConversation(s.api.db, owner);
    release();
    expect((await send(owner, id, urls[1]!)).status).toBe(200);
    const [spend] = await s.api.db.select().from(ownerSpend).where(eq(ownerSpend.ownerId, owner));
    await s.api.db
      .insert(ownerQuotas)
      .values({ ownerId: owner, maxMonthlyTokens: spend!.monthTokens + RESERVE - 1 });
    const refused = await send(owner, id, urls[2]!);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ quota: 'monthly-tokens', used: spend!.monthTokens, reserved: 0 });
    await s.api.db.update(ownerQuotas).set({ maxMonthlyTokens: null }).where(eq(ownerQuotas.ownerId, owner));
    expect((await send(owner, id, urls[0]!)).status).toBe(200);
  });
});

describe('the concurrent-runs quota', () => {
  it('lets 3 of 8 parallel turns go on three replicas, 429s the rest, and frees a place when a run ends', async () => {
    const owner = 'quota-concurrent';
    await s.api.db.insert(ownerQuotas).values({ ownerId: owner, maxConcurrentRuns: 3 });
    closeGate();
    const { answered, all } = await burst(owner, 8);
    await waitFor(() => answered.length >= 5, { what: 'five answers' });
    const refused = answered.map((a) => a.body);
    expect(answered.every((a) => a.status === 429)).toBe(true);
    for (const body of refused) {
      expect(body).toMatchObject({ quota: 'concurrent-runs', limit: 3, used: 3, resetsAt: null });
    }
    expect(await runsOf(owner)).toBe(3);
    // The counters: three started, none ended yet.
    const [counters] = await s.api.db.select().from(ownerCounters).where(eq(ownerCounters.ownerId, owner));
    expect(counters!.runsStarted).toBe(3);
    release();
    expect((await all).filter((a) => a.status === 200)).toHaveLength(3);
    // Their ends are counted (runs_ended, by the trigger): a fourth run starts.
    const again = await insertConversation(s.api.db, owner);
    expect((await send(owner, again, urls[1]!)).status).toBe(200);
  });
});
