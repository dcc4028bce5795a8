import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ownerQuotas, usageRecords } from '@repo/db';
import { waitFor } from '@repo/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

/** The operator's `admin` command, run as a process against the test app's Postgres and Redis. */

const run = promisify(execFile);
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { QUOTA_DOCUMENTS: '2' } });
});
afterAll(async () => {
  await t?.close();
});

// Each case spawns the CLI (Node loading the api's TypeScript sources) up to six times: a few
// seconds each on a loaded 2-core machine, which the default 30 s does not always cover.
vi.setConfig({ testTimeout: 120_000 });

async function admin(...args: string[]) {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=@repo/source', 'src/cli/admin.ts', ...args],
      {
        cwd: new URL('..', import.meta.url),
        env: t.processEnv,
        timeout: 30_000,
      },
    );
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const createDocument = async (owner: string, content: string) =>
  (
    await t.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: await t.auth(owner),
      payload: { title: 'CLI', content },
    })
  ).statusCode;

describe('admin quota', () => {
  it('raises an owner’s quota, which the api applies at once, and sets it back to the default', async () => {
    expect(await createDocument('olga', 'one')).toBe(202);
    expect(await createDocument('olga', 'two')).toBe(202);
    expect(await createDocument('olga', 'three')).toBe(429);

    const set = await admin('quota', 'set', 'olga', '--documents', '3');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ ownerId: 'olga', maxDocuments: 3 });
    expect(await createDocument('olga', 'three')).toBe(202);

    const shown = JSON.parse((await admin('quota', 'show', 'olga')).stdout);
    expect(shown).toMatchObject({ owner: 'olga', overrides: { maxDocuments: 3 }, held: { documents: 3 } });

    expect((await admin('quota', 'set', 'olga', '--documents', 'default')).code).toBe(0);
    const [row] = await t.db.select().from(ownerQuotas).where(eq(ownerQuotas.ownerId, 'olga'));
    expect(row!.maxDocuments).toBeNull();
  });

  it('sets and clears the run quotas the agent enforces, and shows the month’s tokens', async () => {
    const set = await admin('quota', 'set', 'rita', '--monthly-tokens', '50000', '--concurrent-runs', '2');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ maxMonthlyTokens: 50_000, maxConcurrentRuns: 2 });
    // A usage record counts into the month's tokens (a trigger keeps them).
    await t.db.insert(usageRecords).values({
      ownerId: 'rita',
      kind: 'chat',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      inputTokens: 70,
      outputTokens: 30,
    });
    const shown = JSON.parse((await admin('quota', 'show', 'rita')).stdout);
    expect(shown).toMatchObject({
      overrides: { maxMonthlyTokens: 50_000, maxConcurrentRuns: 2 },
      spent: { monthTokens: 100, runsEnded: 0 },
    });
    expect((await admin('quota', 'set', 'rita', '--monthly-tokens', 'default')).code).toBe(0);
    const [row] = await t.db.select().from(ownerQuotas).where(eq(ownerQuotas.ownerId, 'rita'));
    expect(row).toMatchObject({ maxMonthlyTokens: null, maxConcurrentRuns: 2 });
    expect(await admin('quota', 'set', 'rita', '--concurrent-runs', '0')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--concurrent-runs must be a whole number from 1 to 10000/),
    });
  });

  it('refuses what it cannot do, naming the mistake', async () => {
    expect(await admin('quota', 'set', 'olga', '--documents', '0')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--documents must be a whole number/),
    });
    expect(await admin('quota', 'set', 'olga', '--dokuments', '5')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/Unknown option '--dokuments'/),
    });
    expect(await admin('quota', 'set', 'olga', '--documents', '1.5')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--documents must be a whole number/),
    });
    expect(await admin('quota', 'set', 'olga')).toMatchObject({ code: 1, stderr: /name at least one quota/ });
    expect(await admin('quota', 'drop', 'olga')).toMatchObject({ code: 1, stderr: /usage:/ });
    expect(await admin('keys', 'revoke', 'olga', 'not-a-uuid')).toMatchObject({ code: 1, stderr: /UUID/ });
  });
});

describe('admin keys', () => {
  it('lists an owner’s keys without their secrets and revokes one, refused by the api at once', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: await t.auth('olga'),
      payload: { name: 'cron', scopes: ['read'] },
    });
    const { id, key } = created.json<{ id: string; key: string }>();
    const bearer = { authorization: `Bearer ${key}` };
    expect((await t.app.inject({ url: '/v1/documents', headers: bearer })).statusCode).toBe(200);

    const listed = await admin('keys', 'list', 'olga');
    expect(listed.stdout).not.toContain(key.split('_')[2]);
    expect(JSON.parse(listed.stdout)).toContainEqual(
      expect.objectContaining({ id, name: 'cron', revokedAt: null }),
    );

    const revoked = await admin('keys', 'revoke', 'olga', id);
    expect(revoked.code, revoked.stderr).toBe(0);
    await waitFor(
      async () => (await t.app.inject({ url: '/v1/documents', headers: bearer })).statusCode === 401,
      {
        timeoutMs: 1_000,
        intervalMs: 20,
      },
    );
    expect((await admin('keys', 'revoke', 'olga', id)).code).toBe(1);
  });
});

describe('admin usage', () => {
  it('lists every owner’s usage in a range, the biggest first, limited to --top', async () => {
    const day = new Date('2026-05-10T12:00:00Z');
    const row = (ownerId: string, inputTokens: number, cost: string | null) => ({
      ownerId,
      kind: 'chat' as const,
      provider: 'openai',
      model: 'gpt-4.1-mini',
      inputTokens,
      outputTokens: 10,
      cost,
      createdAt: day,
    });
    await t.db
      .insert(usageRecords)
      .values([
        row('ulla', 100, '0.5'),
        row('ulla', 200, null),
        row('uwe', 5_000, '2'),
        row('ute', 50, null),
        { ...row('ulla', 1_000_000, '9'), createdAt: new Date('2026-06-01T00:00:00Z') },
      ]);
    const all = await admin('usage', '--from', '2026-05-01T00:00:00Z', '--to', '2026-06-01T00:00:00Z');
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual({
      from: '2026-05-01T00:00:00.000Z',
      to: '2026-06-01T00:00:00.000Z',
      owners: [
        { owner: 'uwe', inputTokens: 5_000, outputTokens: 10, calls: 1, cost: 2, unpricedCalls: 0 },
        { owner: 'ulla', inputTokens: 300, outputTokens: 20, calls: 2, cost: 0.5, unpricedCalls: 1 },
        { owner: 'ute', inputTokens: 50, outputTokens: 10, calls: 1, cost: null, unpricedCalls: 1 },
      ],
    });
    const top = await admin(
      'usage',
      '--from',
      '2026-05-01T00:00:00Z',
      '--to',
      '2026-06-01T00:00:00Z',
      '--top',
      '1',
    );
    const { owners } = JSON.parse(top.stdout) as { owners: { owner: string }[] };
    expect(owners.map((o) => o.owner)).toEqual(['uwe']);
  });

  it('refuses a bad range or limit, naming it', async () => {
    expect(await admin('usage', '--from', 'last week')).toMatchObject({ code: 1, stderr: /--from must be/ });
    expect(
      await admin('usage', '--from', '2026-05-02T00:00:00Z', '--to', '2026-05-01T00:00:00Z'),
    ).toMatchObject({ code: 1, stderr: /--from must be before --to/ });
    expect(await admin('usage', '--top', '0')).toMatchObject({ code: 1, stderr: /--top must be/ });
  });
});
