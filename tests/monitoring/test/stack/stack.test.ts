import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, writeEnvFile } from '../../src/compose.ts';
import { describeFailures, evaluateAllExpressions, type ExpressionResult } from '../../src/evaluate.ts';
import { REPO_ROOT } from '../../src/paths.ts';
import { healthyTargetsByJob } from '../../src/prometheus-api.ts';

/**
 * The acceptance check of the monitoring profile on the real stack: compose's prod profile (the
 * apps built from their Dockerfiles, api ×3 behind the load balancer, secrets from
 * scripts/create-secrets.sh) with the monitoring profile's Prometheus scraping it with the
 * shipped configuration (15 s intervals), a little traffic through the load balancer, then every
 * PromQL expression of the dashboards and rules evaluated through the HTTP API.
 *
 * Environment:
 * - KEELSON_MONITORING_STACK=unavailable: skip (the only way to skip it).
 * - KEELSON_PROMETHEUS_URL=http://127.0.0.1:<port>: use an already running stack's Prometheus
 *   (e.g. the container suite's) instead of starting one; its api must take traffic at
 *   KEELSON_API_URL for the traffic step (skipped without it).
 * - KEELSON_MONITORING_STACK_PROJECT: the compose project name (default keelson-monitoring-stack).
 * - KEELSON_MONITORING_KEEP=1: leave the stack running afterwards (and its secrets folder).
 *
 * The Grafana, Loki, Tempo and Collector images cannot run on every machine (not on the CI's,
 * which has no registry): the services started are the prod apps, Prometheus, Alertmanager and
 * the alert sink, which are all the expressions need. Tracing stays off (no collector).
 *
 * Prometheus and Alertmanager are the tags compose.yaml pins. Without a registry these are
 * seed-images' stand-ins, Prometheus 2.53 and Alertmanager 0.28, not the pinned 3.13 and 0.34:
 * here this suite proves the files still work on 2.53; the live check (test/live.test.ts) runs a
 * Prometheus 3 from Debian unstable. Elsewhere it runs the pinned releases themselves.
 */
const SKIP = process.env.KEELSON_MONITORING_STACK === 'unavailable';
const GIVEN_PROMETHEUS = process.env.KEELSON_PROMETHEUS_URL;
const GIVEN_API = process.env.KEELSON_API_URL;
const PROJECT = process.env.KEELSON_MONITORING_STACK_PROJECT ?? 'keelson-monitoring-stack';
const KEEP = Boolean(process.env.KEELSON_MONITORING_KEEP);
const OVERRIDE = fileURLToPath(new URL('stack.override.yaml', import.meta.url));

/** The prod profile's services (their DNS aliases are the dev names Prometheus looks up). */
const PROD_SERVICES = ['postgres-prod', 'redis-prod', 'task-runner-prod', 'api-prod', 'agent-prod', 'lb'];
const MONITORING_SERVICES = ['prometheus', 'alertmanager', 'alert-sink'];

describe.skipIf(SKIP)('the monitoring profile on the running stack', () => {
  let dir: string | undefined;
  let project: ComposeProject | undefined;
  let prometheus: string;
  let api: string | undefined = GIVEN_API;

  beforeAll(async () => {
    if (GIVEN_PROMETHEUS) {
      prometheus = GIVEN_PROMETHEUS;
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'monitoring-stack-'));
    const secrets = join(dir, 'secrets');
    await promisify(execFile)(join(REPO_ROOT, 'scripts/create-secrets.sh'), [secrets]);
    // Replaces the root .env (which selects dev) for every command of the project: profiles,
    // secrets, and free loopback ports. Tracing stays off: no OTEL_EXPORTER_OTLP_ENDPOINT.
    const envFile = await writeEnvFile(join(dir, 'stack.env'), {
      COMPOSE_PROFILES: 'prod,monitoring',
      SECRETS_DIR: secrets,
      API_PORT: '0',
      LB_STATS_PORT: '0',
      PROMETHEUS_PORT: '0',
      ALERTMANAGER_PORT: '0',
      GRAFANA_PORT: '0',
      OTLP_GRPC_PORT: '0',
      OTLP_HTTP_PORT: '0',
    });
    project = new ComposeProject(PROJECT, { files: [join(REPO_ROOT, 'compose.yaml'), OVERRIDE], envFile });
    await project.down();
    await project.run(
      [
        'up',
        '--build',
        '--detach',
        '--wait',
        '--wait-timeout',
        '300',
        '--scale',
        'api-prod=3',
        ...PROD_SERVICES,
        ...MONITORING_SERVICES,
      ],
      900_000,
    );
    prometheus = `http://127.0.0.1:${await project.port('prometheus', 9090)}`;
    // The prod api publishes no port: clients (and this test) go through the load balancer.
    api = `http://127.0.0.1:${await project.port('lb', 8080)}`;
  }, 900_000);

  afterAll(async () => {
    if (project && !KEEP) await project.down();
    if (dir && !KEEP) await rm(dir, { recursive: true, force: true });
  });

  it('shows three healthy api targets (api-prod ×3), a task-runner and the agent', async () => {
    const counts = await waitFor(
      async () => {
        const healthy = await healthyTargetsByJob(prometheus);
        const up = healthy.api === 3 && (healthy['task-runner'] ?? 0) >= 1 && (healthy.agent ?? 0) >= 1;
        return up ? healthy : undefined;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 2_000,
        what: 'three api targets, a task-runner and the agent to be up',
      },
    );
    expect(counts.api).toBe(3);
    expect(counts.agent).toBeGreaterThanOrEqual(1);
  });

  it('takes a little traffic: documents ingested, agent turns with a tool call, an agent-run task, a 404', async () => {
    if (!api || !project) return; // a given stack without KEELSON_API_URL: its own traffic
    const token = (
      await project.run(['exec', '-T', 'api-prod', 'node', 'dist/cli/mint-token.js', 'monitoring-test'])
    ).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${api}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const get = async (path: string) =>
      (await (await fetch(`${api}${path}`, { headers })).json()) as Record<string, unknown>;

    for (let i = 0; i < 5; i++) {
      const created = await post('/v1/documents', {
        title: `monitoring ${i}`,
        content: 'First paragraph.\n\nSecond paragraph.',
      });
      expect(created.status).toBe(202);
      await waitFor(async () => (await get(`/v1/documents/${String(created.body.id)}`)).status === 'ready', {
        timeoutMs: 60_000,
        what: `document ${String(created.body.id)} to be ingested`,
      });
    }
    const conversation = await post('/v1/conversations', { title: 'monitoring' });
    expect(conversation.status).toBe(201);
    const messages = `/v1/conversations/${String(conversation.body.id)}/messages`;
    // The scripted model echoes, and calls search_documents (the api's MCP tool) when asked to.
    expect((await post(messages, { content: 'hello' })).status).toBe(200);
    expect((await post(messages, { content: 'search: paragraph' })).status).toBe(200);
    const task = await post('/v1/tasks', {
      type: 'agent-run',
      input: { conversationId: conversation.body.id, content: 'in the background' },
    });
    expect(task.status).toBe(202);
    await waitFor(async () => (await get(`/v1/tasks/${String(task.body.id)}`)).status === 'succeeded', {
      timeoutMs: 60_000,
      what: 'the agent-run task to succeed',
    });
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
