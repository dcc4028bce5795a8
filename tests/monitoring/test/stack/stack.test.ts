import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, writeEnvFile } from '../../src/compose.ts';
import { describeFailures, evaluateAllExpressions, type ExpressionResult } from '../../src/evaluate.ts';
import { MONITORING_DIR, REPO_ROOT } from '../../src/paths.ts';
import { healthyTargetsByJob } from '../../src/prometheus-api.ts';

/**
 * The acceptance check of the monitoring profile on the real stack: the apps built from their
 * Dockerfiles, `--scale api=3`, the profile's Prometheus scraping them with the shipped
 * configuration (15 s intervals), a little traffic, then every PromQL expression of the
 * dashboards and rules evaluated through the HTTP API.
 *
 * Environment:
 * - KEELSON_MONITORING_STACK=unavailable: skip (the only way to skip it).
 * - KEELSON_PROMETHEUS_URL=http://127.0.0.1:<port>: use an already running stack's Prometheus
 *   (e.g. the container suite's) instead of starting one; its api must take traffic at
 *   KEELSON_API_URL for the traffic step (skipped without it).
 * - KEELSON_MONITORING_STACK_PROJECT: the compose project name (default keelson-monitoring-stack).
 * - KEELSON_MONITORING_KEEP=1: leave the stack running afterwards.
 *
 * The Grafana, Loki, Tempo and Collector images cannot run on every machine (not on the CI's,
 * which has no registry): the services started are the apps, Prometheus, Alertmanager and the
 * alert sink, which are all the expressions need.
 */
const SKIP = process.env.KEELSON_MONITORING_STACK === 'unavailable';
const GIVEN_PROMETHEUS = process.env.KEELSON_PROMETHEUS_URL;
const GIVEN_API = process.env.KEELSON_API_URL;
const PROJECT = process.env.KEELSON_MONITORING_STACK_PROJECT ?? 'keelson-monitoring-stack';
const KEEP = Boolean(process.env.KEELSON_MONITORING_KEEP);
const ROOT_COMPOSE = join(REPO_ROOT, 'compose.yaml');

describe.skipIf(SKIP)('the monitoring profile on the running stack', () => {
  let dir: string | undefined;
  let project: ComposeProject | undefined;
  let prometheus: string;
  let api: string | undefined = GIVEN_API;
  let apps: string[] = [];

  beforeAll(async () => {
    if (GIVEN_PROMETHEUS) {
      prometheus = GIVEN_PROMETHEUS;
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'monitoring-stack-'));
    const files = [ROOT_COMPOSE];
    // Until the root compose.yaml includes the profile itself, include it from here.
    if (!(await readFile(ROOT_COMPOSE, 'utf8')).includes('monitoring/compose.yaml')) {
      await writeFile(
        join(dir, 'include.yaml'),
        `include:\n  - path: ${join(MONITORING_DIR, 'compose.yaml')}\n`,
      );
      files.push(join(dir, 'include.yaml'));
    }
    const envFile = await writeEnvFile(join(dir, 'stack.env'), {
      API_PORT: '0',
      POSTGRES_PORT: '0',
      REDIS_PORT: '0',
      PROMETHEUS_PORT: '0',
      ALERTMANAGER_PORT: '0',
      GRAFANA_PORT: '0',
      OTLP_GRPC_PORT: '0',
      OTLP_HTTP_PORT: '0',
    });
    project = new ComposeProject(PROJECT, { files, envFile });
    await project.down();
    apps = (await project.run(['config', '--services'])).trim().split('\n');
    await project.run(
      [
        '--profile',
        'monitoring',
        'up',
        '--build',
        '--detach',
        '--wait',
        '--wait-timeout',
        '300',
        '--scale',
        'api=3',
        ...apps,
        'prometheus',
        'alertmanager',
        'alert-sink',
      ],
      900_000,
    );
    prometheus = `http://127.0.0.1:${await project.port('prometheus', 9090)}`;
    api = `http://127.0.0.1:${await project.port('api', 3000)}`;
  }, 900_000);

  afterAll(async () => {
    if (project && !KEEP) await project.down();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows three healthy api targets with --scale api=3, and every other service', async () => {
    const counts = await waitFor(
      async () => {
        const healthy = await healthyTargetsByJob(prometheus);
        return healthy.api === 3 && (healthy['task-runner'] ?? 0) >= 1 ? healthy : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, what: 'three api targets and a task-runner to be up' },
    );
    expect(counts.api).toBe(3);
    if (apps.includes('agent')) expect(counts.agent).toBeGreaterThanOrEqual(1);
  });

  it('takes a little traffic: documents created and ingested, a 404', async () => {
    if (!api || !project) return; // a given stack without KEELSON_API_URL: its own traffic
    const token = (
      await project.run(['exec', '-T', 'api', 'node', 'dist/cli/mint-token.js', 'monitoring-test'])
    ).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (let i = 0; i < 5; i++) {
      const created = await fetch(`${api}/v1/documents`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ title: `monitoring ${i}`, content: 'First paragraph.\n\nSecond paragraph.' }),
      });
      expect(created.status).toBe(202);
      const { id } = (await created.json()) as { id: string };
      await waitFor(
        async () => {
          const document = await fetch(`${api}/v1/documents/${id}`, { headers });
          return ((await document.json()) as { status: string }).status === 'ready';
        },
        { timeoutMs: 60_000, what: `document ${id} to be ingested` },
      );
    }
    expect((await fetch(`${api}/v1/no-such-route`, { headers })).status).toBe(404);
  });

  it('evaluates every PromQL expression of the dashboards and rules: no error, and data', async () => {
    let results: ExpressionResult[] = [];
    // 15 s scrapes and evaluations: rates need two scrapes, rates of recorded series two
    // evaluations more.
    await waitFor(
      async () => {
        results = await evaluateAllExpressions(prometheus);
        return results.every((result) => result.ok);
      },
      { timeoutMs: 150_000, intervalMs: 10_000, what: 'every expression to return data' },
    ).catch(() => undefined);
    expect(describeFailures(results)).toBe('');
  });
});
