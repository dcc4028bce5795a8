import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { uniqueId, waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, inspect, REPO_ROOT, reportMetric, since } from '../src/compose.ts';
import { probe } from '../src/http.ts';

const run = promisify(execFile);

/**
 * The dev profile — what a plain `docker compose up` gives — run from a copy of this checkout
 * (every tracked and untracked, not ignored file), so the test can edit a source file the way a
 * developer does without ever touching the repository it runs in.
 */
let checkout: string;
let project: ComposeProject;

beforeAll(async () => {
  checkout = await mkdtemp(join(tmpdir(), 'keelson-e2e-dev-'));
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(checkout, file)), { recursive: true });
    // A file listed but deleted in the working tree is simply not copied.
    await cp(join(REPO_ROOT, file), join(checkout, file)).catch(() => undefined);
  }

  // No --profile: the committed .env selects dev, exactly as for `docker compose up`.
  project = new ComposeProject('keelson-e2e-dev', { profiles: [], root: checkout });
  await project.down();
  let started = performance.now();
  await project.compose(['build']);
  reportMetric('dev.build', since(started), 'ms');
  started = performance.now();
  await project.compose(['up', '--detach', '--wait', '--wait-timeout', '240']);
  reportMetric('dev.up_to_healthy', since(started), 'ms');
});

afterAll(async () => {
  // E2E_KEEP=1 leaves the stack running, and the checkout its sources are mounted from.
  if (process.env.E2E_KEEP === '1') return;
  if (project) await project.down();
  if (checkout) await rm(checkout, { recursive: true, force: true });
});

describe('the dev profile', () => {
  it('is the default profile and runs the apps from their sources', async () => {
    const services = (await project.compose(['ps', '--format', '{{.Service}}'])).split('\n').sort();
    expect(services).toEqual(['agent', 'api', 'postgres', 'redis', 's3', 'task-runner', 'web']);
    const api = await inspect(await project.containerId('api'));
    expect(api.Config.Env).toContain('NODE_ENV=development');
  });

  it('publishes the api with its OpenAPI UI, the queue UI, the agent, Postgres and Redis on loopback', async () => {
    const api = await project.port('api', 3000);
    expect(await probe(`http://127.0.0.1:${api}/docs/`)).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${api}/ready`);
    // Ready means migrated: the task-runner applied the migrations before the api started.
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { migrations: { ok: true } } });

    const runner = await project.port('task-runner', 3001);
    expect(await probe(`http://127.0.0.1:${runner}/queues`)).toBe(200);

    // The agent starts without a model and says how to configure one.
    const agent = await project.port('agent', 3002);
    const agentReady = (await (await fetch(`http://127.0.0.1:${agent}/ready`)).json()) as {
      model?: { configured?: boolean };
    };
    expect(agentReady.model?.configured).toBe(false);

    for (const [service, port] of [
      ['postgres', 5432],
      ['redis', 6379],
      ['s3', 7480],
    ] as const) {
      const address = await project.compose(['port', service, String(port)]);
      expect(address, service).toMatch(/^127\.0\.0\.1:\d+$/);
    }
  });

  it('stores an uploaded file in the S3 server and converts it', async () => {
    const token = await project.compose([
      'exec',
      '-T',
      'api',
      'node',
      '--conditions=@repo/source',
      'src/cli/mint-token.ts',
      'dev-upload',
    ]);
    const api = await project.port('api', 3000);
    const form = new FormData();
    form.append('file', new Blob(['# Dev loop\n\nThe dev stack stores files in radosgw.\n']), 'dev.md');
    const created = await fetch(`http://127.0.0.1:${api}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${api}/v1/documents/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return ((await response.json()) as { status: string }).status === 'ready';
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the uploaded Markdown file to be ready' },
    );
  });

  it('seeds sample documents on request, once', async () => {
    const first = await project.compose(['run', '--rm', '--quiet-pull', 'seed']);
    expect(first).toMatch(/seed: 5 new document\(s\) for owner "alice"/);
    const token = first.split('\n').at(-1)!;
    const api = await project.port('api', 3000);
    const listed = await fetch(`http://127.0.0.1:${api}/v1/documents?limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(5);
    // Each document carries an Idempotency-Key: running it again stores nothing.
    expect(await project.compose(['run', '--rm', '--quiet-pull', 'seed'])).toMatch(
      /seed: 0 new document\(s\)/,
    );
  });

  it('serves an edited api source file within seconds, without rebuilding the image or recreating the container', async () => {
    const api = await project.port('api', 3000);
    const container = await inspect(await project.containerId('api'));

    // A visible change: the summary of a route in the OpenAPI document the api serves at /docs/json.
    const file = join(checkout, 'apps/api/src/routes/health.ts');
    const source = await readFile(file, 'utf8');
    expect(source).toContain("summary: '");
    const marker = uniqueId('dev-loop');
    expect(await fetch(`http://127.0.0.1:${api}/docs/json`).then((r) => r.text())).not.toContain(marker);

    const edited = performance.now();
    await writeFile(file, source.replace("summary: '", `summary: '${marker} `));
    await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${api}/docs/json`, {
          signal: AbortSignal.timeout(2_000),
        });
        return (await response.text()).includes(marker);
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the edited summary to be served' },
    );
    const served = since(edited);
    reportMetric('dev.edit_to_served', served, 'ms');
    expect(served).toBeLessThan(30_000);

    const after = await inspect(await project.containerId('api'));
    expect(after.Id).toBe(container.Id);
    expect(after.Image).toBe(container.Image);
    expect(after.RestartCount).toBe(container.RestartCount);
    expect(after.State.StartedAt).toBe(container.State.StartedAt);
  });
});
