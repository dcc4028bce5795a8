import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, inspect, reportMetric, REPO_ROOT, since } from '../src/compose.ts';
import { ApiClient } from '../src/http.ts';
import { ProdStack, type RunnerStatus } from '../src/prod-stack.ts';

/**
 * The prod profile with three task-runners (`--scale task-runner-prod=3`), from an empty database:
 * they share the work, one of them leads, and a SIGKILL of any of them — a working standby, then
 * the leader — in the middle of a batch loses nothing and runs nothing twice.
 */
let stack: ProdStack;
let api: ApiClient;
const REPLICAS = 3;
const bundled = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'packages/db/migrations/meta/_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  }
).entries.map((entry) => entry.tag);

beforeAll(async () => {
  stack = await ProdStack.create('keelson-e2e-scale');
  await stack.project.down();
  await stack.project.compose(['build']);
  const started = performance.now();
  await stack.project.compose([
    'up',
    '--detach',
    '--wait',
    '--wait-timeout',
    '240',
    '--scale',
    `task-runner-prod=${REPLICAS}`,
  ]);
  reportMetric('scale.up_to_healthy', since(started), 'ms');
  await stack.connect();
  api = new ApiClient(stack.baseUrl, await stack.token('e2e-scale'));
});

afterAll(async () => {
  if (process.env.E2E_KEEP !== '1' && stack) await stack.dispose();
});

const runners = () => stack.project.containerIds('task-runner-prod');
/** The /ready of every replica that answers (a crashed one is restarting for a moment). */
async function statuses(): Promise<Map<string, RunnerStatus>> {
  const ids = await runners();
  const answers = await Promise.all(
    ids.map(async (id) => [id, await stack.runnerStatus(id).catch(() => undefined)] as const),
  );
  return new Map(answers.filter((answer): answer is [string, RunnerStatus] => answer[1] !== undefined));
}
async function leaderOf(): Promise<string | undefined> {
  for (const [id, status] of await statuses()) if (status.role === 'leader' && status.ready) return id;
  return undefined;
}

/** Ingestions this replica completed, from its own /metrics. */
async function completedOn(container: string): Promise<number> {
  const text = await stack.runnerMetrics(container);
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('bullmq_job_duration_seconds_count{') &&
        l.includes('queue="ingest-document"') &&
        l.includes('outcome="completed"'),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

const paragraphs = (count: number, label: string) =>
  Array.from(
    { length: count },
    (_, i) => `${label} paragraph ${i}. It says a couple of things about item ${i}, enough to fill a chunk.`,
  ).join('\n\n');

/** Every document has the one set of chunks its content gives; every task succeeded on attempt 1. */
async function expectExactlyOnce(ids: string[]) {
  const list = ids.map((id) => `'${id}'`).join(',');
  const perDocument = await stack.sql(
    `select d.id, count(c.id), count(distinct c.ordinal), coalesce(max(c.ordinal) + 1, 0)
       from documents d left join chunks c on c.document_id = d.id
      where d.id in (${list}) group by d.id`,
  );
  expect(perDocument).toHaveLength(ids.length);
  const counts = new Set(perDocument.map((row) => row.split('|').slice(1).join('|')));
  expect(counts.size).toBe(1);
  const [chunks, distinct, span] = [...counts][0]!.split('|').map(Number);
  expect(chunks).toBeGreaterThan(1);
  expect(distinct).toBe(chunks);
  expect(span).toBe(chunks);
  expect(
    await stack.sql(
      `select status, attempts, count(*) from tasks where input ->> 'documentId' in (${list}) group by 1, 2`,
    ),
  ).toEqual([`succeeded|1|${ids.length}`]);
}

describe(`the prod profile with ${REPLICAS} task-runners`, () => {
  it('migrates once, elects one leader, and every replica works', async () => {
    const all = await statuses();
    expect(all.size).toBe(REPLICAS);
    const values = [...all.values()];
    expect(values.map((s) => s.role).sort()).toEqual(['leader', 'standby', 'standby']);
    for (const status of values) expect(status).toMatchObject({ ready: true, workers: { running: true } });
    // Applied by one process, recorded once.
    const appliers = values.filter((s) => (s.migrations?.applied.length ?? 0) > 0);
    expect(appliers.map((s) => s.migrations!.applied)).toEqual([bundled]);
    expect(
      await stack.sql('select count(*), count(distinct hash) from drizzle.__drizzle_migrations'),
    ).toEqual([`${bundled.length}|${bundled.length}`]);

    // A batch through the api: every replica takes a share of it.
    const before = new Map(
      await Promise.all((await runners()).map(async (id) => [id, await completedOn(id)] as const)),
    );
    const content = paragraphs(12, 'Shared');
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: 150 }, (_, i) => api.createDocument(`shared ${i}`, content)),
    );
    await stack.waitForDocumentsReady(ids, 120_000, 'the shared batch');
    reportMetric('scale.batch_150_done', since(started), 'ms');
    const shares = await Promise.all(
      (await runners()).map(async (id) => (await completedOn(id)) - (before.get(id) ?? 0)),
    );
    reportMetric('scale.batch_shares', shares.join('/'));
    expect(shares.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(150);
    for (const share of shares) expect(share).toBeGreaterThan(0);
    await expectExactlyOnce(ids);
  });

  it('loses nothing when a working standby and then the leader are SIGKILLed mid-batch; the leader’s duties move within seconds', async () => {
    const containers = await runners();
    const content = paragraphs(40, 'Crash');
    // Queue the batch while every replica is frozen, then hold the row locks of a few documents:
    // their ingestions wait inside their transactions on whichever replicas took them.
    for (const id of containers) await docker(['pause', id]);
    const ids: string[] = [];
    let holder: Promise<unknown> | undefined;
    try {
      for (let i = 0; i < 90; i++) ids.push(await api.createDocument(`crash ${i}`, content));
      const held = ids.slice(0, 9);
      const postgres = await stack.project.containerId('postgres-prod');
      holder = docker([
        'exec',
        '-e',
        'PGAPPNAME=e2e-holder',
        postgres,
        'psql',
        '-U',
        'keelson',
        '-d',
        'keelson',
        '-c',
        `begin; select id from documents where id in (${held.map((id) => `'${id}'`).join(',')}) for update; select pg_sleep(300); commit;`,
      ]).catch(() => undefined);
      await waitFor(
        async () =>
          (
            await stack.sql(
              `select count(*) from pg_stat_activity where application_name = 'e2e-holder' and query like '%pg_sleep%'`,
            )
          )[0] === '1',
        { timeoutMs: 10_000, intervalMs: 100, what: 'the row locks to be held' },
      );
    } finally {
      for (const id of containers) await docker(['unpause', id]);
    }

    // Which replica waits on a held document: its pool's application_name is task-runner@<hostname>,
    // and a container's hostname is the start of its id.
    const waiting = async () =>
      (
        await stack.sql(
          `select distinct application_name from pg_stat_activity where wait_event_type = 'Lock' and application_name like 'task-runner@%'`,
        )
      ).map((name) => containers.find((id) => id.startsWith(name.slice('task-runner@'.length)))!);
    const holders = await waitFor(
      async () => {
        const found = await waiting();
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'ingestions waiting on held documents on two replicas' },
    );
    const leader = (await leaderOf())!;
    const standby = holders.find((id) => id !== leader)!;
    expect(standby).toBeDefined();

    // 1. A standby that is busy with held documents dies.
    const standbyRestarts = (await inspect(standby)).RestartCount;
    await stack.crash(standby);
    reportMetric('scale.crash.standby', standby.slice(0, 12));
    expect(await leaderOf()).toBe(leader);

    // 2. The leader dies: another replica leads within seconds, and migrates nothing.
    const leaderRestarts = (await inspect(leader)).RestartCount;
    const crashedAt = performance.now();
    await stack.crash(leader);
    const next = await waitFor(
      async () => {
        for (const [id, status] of await statuses()) {
          if (id !== leader && status.role === 'leader' && status.ready) return { id, status };
        }
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'another replica to lead' },
    );
    reportMetric('scale.crash.leader_takeover', since(crashedAt), 'ms after SIGKILL');
    expect(next.status.workers?.queues).toContain('maintenance');
    expect(next.status.migrations?.applied ?? []).toEqual([]);

    // The held documents are let go; everything completes, exactly once.
    await stack.sql(
      `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'e2e-holder'`,
    );
    await holder;
    await stack.waitForDocumentsReady(ids, 180_000, 'all 90 documents after the crashes');
    reportMetric('scale.crash.all_done', since(crashedAt), 'ms after the leader’s SIGKILL');
    await expectExactlyOnce(ids);

    // Both crashed containers came back (restart: unless-stopped) and work again; one leader.
    expect((await inspect(standby)).RestartCount).toBe(standbyRestarts + 1);
    expect((await inspect(leader)).RestartCount).toBe(leaderRestarts + 1);
    const after = await waitFor(
      async () => {
        const all = await statuses();
        return all.size === REPLICAS && [...all.values()].every((s) => s.ready && s.workers?.running)
          ? all
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every replica working again' },
    );
    expect([...after.values()].filter((s) => s.role === 'leader')).toHaveLength(1);
    // Still one row per migration: the new leader (and the restarted replicas) applied none.
    expect(await stack.sql('select count(*) from drizzle.__drizzle_migrations')).toEqual([
      `${bundled.length}`,
    ]);
  });
});
