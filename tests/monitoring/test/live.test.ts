import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ComposeProject, writeEnvFile } from '../src/compose.ts';
import { NODE_IMAGE } from '../src/docker.ts';
import { describeFailures, evaluateAllExpressions, type ExpressionResult } from '../src/evaluate.ts';
import type { Expression } from '../src/expressions.ts';
import { readYaml, ruleFiles, type RuleFile } from '../src/files.ts';
import type { Role } from '../src/fixtures/service-metrics.ts';
import { MONITORING_DIR, REPO_ROOT } from '../src/paths.ts';
import { ALERTMANAGER_UNSTABLE_IMAGE, PROMETHEUS_UNSTABLE_IMAGE } from '../src/unstable-images.ts';
import {
  alertmanagers,
  prometheusVersion,
  ruleGroups,
  sampleValue,
  targetHealth,
  type TargetHealth,
} from '../src/prometheus-api.ts';

/**
 * The monitoring profile's own Prometheus, Alertmanager and alert-sink, started from
 * monitoring/compose.yaml, scraping stand-in targets for the services: containers answering to
 * the compose names `api` (×3, through `--scale`), `task-runner` (a leader and a standby) and
 * `agent`, whose /metrics are built by the services' own metric code (see fixtures/).
 *
 * Prometheus and Alertmanager are Debian unstable's builds (a Prometheus 3, see images/): the
 * release line compose.yaml pins, where the pinned tags are 2.53 and 0.28 stand-ins for want of
 * a registry. The stack suite (test/stack) runs the pinned tags themselves.
 *
 * What differs from the profile as shipped is all for speed: scrapes every 2 s and rule evaluation
 * every second instead of 15 s, DNS re-resolved every second, the profile's healthchecks every second
 * (so `up --wait` returns sooner), and alerts re-sent to Alertmanager after 2 s instead of a minute.
 */
const PROJECT = process.env.KEELSON_MONITORING_TEST_PROJECT ?? 'keelson-monitoring-test';
const REPO = REPO_ROOT.replace(/\/$/, '');
const PACKAGE = join(REPO, 'tests/monitoring');

function fixture(role: Role, extra: string[] = []) {
  return {
    image: NODE_IMAGE,
    user: 'node',
    working_dir: PACKAGE,
    command: ['node', '--conditions=@repo/source', 'src/fixtures/target-main.ts', role, ...extra],
    // The workspace, read-only, at the same path: pnpm's relative symlinks resolve as on the host.
    volumes: [`${REPO}:${REPO}:ro`],
    // No healthcheck: whether a target serves /metrics is what the first test asks Prometheus.
    // A per-second `node -e fetch(…)` in six containers (what `--wait` would need) kept the CPU
    // busy for the whole run, on a machine where every scrape has a deadline (2 s).
  };
}

describe('the monitoring profile against live targets', () => {
  let dir: string;
  let project: ComposeProject;
  let prometheus: string;
  let alertmanager: string;
  const started = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monitoring-live-'));
    await chmod(dir, 0o755); // Prometheus runs as nobody

    const config = readYaml<{
      global: Record<string, string>;
      scrape_configs: { dns_sd_configs?: { refresh_interval?: string }[] }[];
    }>('prometheus/prometheus.yml');
    // Scrapes every 2 s with 2 s to answer: with 1 s, scrapes on a loaded 2-core machine time
    // out (`context deadline exceeded`, even Prometheus's scrape of itself).
    Object.assign(config.global, { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '1s' });
    for (const scrape of config.scrape_configs)
      for (const sd of scrape.dns_sd_configs ?? []) sd.refresh_interval = '1s';
    await writeFile(join(dir, 'prometheus.yml'), stringify(config), { mode: 0o644 });

    const override = {
      services: {
        prometheus: {
          image: PROMETHEUS_UNSTABLE_IMAGE,
          volumes: [`${join(dir, 'prometheus.yml')}:/etc/prometheus/prometheus.yml:ro`],
          // The profile's own command, plus: alerts that fire before Alertmanager is discovered
          // are re-sent after 2 s instead of the default minute.
          command: [
            ...readYaml<{ services: { prometheus: { command: string[] } } }>('compose.yaml').services
              .prometheus.command,
            '--rules.alert.resend-delay=2s',
          ],
          // The profile's own healthcheck commands, asked every second so `--wait` returns sooner.
          healthcheck: { interval: '1s' },
        },
        alertmanager: { image: ALERTMANAGER_UNSTABLE_IMAGE, healthcheck: { interval: '1s' } },
        'alert-sink': { healthcheck: { interval: '1s' } },
        api: fixture('api'),
        'task-runner': fixture('task-runner'),
        // A standby answering to the same DNS name: two task-runner targets, one leader.
        'task-runner-standby': {
          ...fixture('task-runner', ['standby']),
          networks: { default: { aliases: ['task-runner'] } },
        },
        agent: fixture('agent'),
      },
    };
    await writeFile(join(dir, 'override.yaml'), stringify(override), { mode: 0o644 });
    const envFile = await writeEnvFile(join(dir, 'ports.env'), {
      PROMETHEUS_PORT: '0',
      ALERTMANAGER_PORT: '0',
    });

    project = new ComposeProject(PROJECT, {
      files: [join(MONITORING_DIR, 'compose.yaml'), join(dir, 'override.yaml')],
      envFile,
    });
    await project.down();
    await project.run([
      '--profile',
      'monitoring',
      'up',
      '--detach',
      '--wait',
      '--wait-timeout',
      '180',
      '--scale',
      'api=3',
      'api',
      'task-runner',
      'task-runner-standby',
      'agent',
      'prometheus',
      'alertmanager',
      'alert-sink',
    ]);
    prometheus = `http://127.0.0.1:${await project.port('prometheus', 9090)}`;
    alertmanager = `http://127.0.0.1:${await project.port('alertmanager', 9093)}`;
  }, 300_000);

  afterAll(async () => {
    // How close the scrapes came to their timeout on this machine, and how many failed.
    if (prometheus) {
      const window = `${Math.ceil((Date.now() - started) / 1000)}s`;
      const slowest = await sampleValue(prometheus, `max(max_over_time(scrape_duration_seconds[${window}]))`);
      const failed = await sampleValue(
        prometheus,
        `sum(count_over_time(up[${window}])) - sum(sum_over_time(up[${window}]))`,
      );
      const version = await prometheusVersion(prometheus);
      process.stdout.write(
        `[monitoring:metric] prometheus=${version} scrape_duration_max_s=${slowest} failed_scrapes=${failed}\n`,
      );
    }
    if (project && !process.env.KEELSON_MONITORING_KEEP) await project.down();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds every replica through DNS: three api targets from --scale api=3, two task-runners, one agent', async () => {
    // Waits for the whole set at once, static targets included: any one scrape can fail on a
    // loaded machine, so a snapshot taken the moment the DNS jobs are up can still show Prometheus
    // or Alertmanager down for that one scrape.
    const expected = { api: 3, 'task-runner': 2, agent: 1, prometheus: 1, alertmanager: 1 };
    let last: TargetHealth | undefined;
    await waitFor(
      async () => {
        last = await targetHealth(prometheus);
        return isDeepStrictEqual(last.healthy, expected);
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every target to be up' },
    ).catch(() => undefined);
    // On failure the message names each target that is not up, with Prometheus's lastError.
    expect(last?.healthy, `not up: ${last?.notUp.join('; ') || 'none'}`).toEqual(expected);
  });

  it('loads every rule group and evaluates them without errors', async () => {
    const groups = await waitFor(
      async () => {
        const loaded = await ruleGroups(prometheus);
        return loaded.every((group) => Date.parse(group.lastEvaluation) > started) ? loaded : undefined;
      },
      { timeoutMs: 30_000, what: 'every rule group to be evaluated' },
    );
    // Every group of every rule file, loaded through prometheus.yml's rule_files glob.
    const defined = ruleFiles().flatMap((file) => readYaml<RuleFile>(file).groups.map((group) => group.name));
    expect(defined.length).toBeGreaterThanOrEqual(9);
    expect(groups.map((group) => group.name).sort()).toEqual(defined.sort());
    const failing = groups.flatMap((group) => group.rules.filter((rule) => rule.health !== 'ok'));
    expect(failing).toEqual([]);
  });

  it('evaluates every PromQL expression of the dashboards and rules: no error, and data', async () => {
    let results: ExpressionResult[] = [];
    // Rates over recorded series need two evaluations of their rule: retry for a few seconds.
    await waitFor(
      async () => {
        results = await evaluateAllExpressions(prometheus);
        return results.every((result) => result.ok);
      },
      { timeoutMs: 60_000, intervalMs: 2_000, what: 'every expression to return data' },
    ).catch(() => undefined);
    process.stdout.write(`[monitoring:metric] expressions_evaluated=${results.length}\n`);
    expect(describeFailures(results)).toBe('');
    expect(results.length).toBeGreaterThan(60);
  });

  it('reports what it cannot evaluate: a metric nothing exports, an empty panel, a query Prometheus rejects', async () => {
    const expression = (kind: Expression['kind'], query: string): Expression => ({
      kind,
      source: query,
      expr: query,
      query,
    });
    const results = await evaluateAllExpressions(prometheus, {
      expressions: [
        expression('dashboard', 'sum(rate(http_request_duration_seconds_count{job="api"}[1m]))'),
        expression('dashboard', 'rate(keelson_no_such_metric_total[1m])'),
        expression('dashboard', 'up{job="no-such-job"}'),
        expression('recording', 'sum(rate(up[1m]'),
        expression('alert', 'up{job="api"} == 0'),
        expression('alert', 'absent(keelson_no_such_metric)'),
      ],
    });
    expect(results.map((result) => result.problem ?? 'ok')).toEqual([
      'ok',
      'no series named keelson_no_such_metric_total',
      'returned no data',
      expect.stringMatching(/^query failed: bad_data/),
      'ok', // nothing alerting is the normal state
      'no series named keelson_no_such_metric',
    ]);
  });

  it('sends alerts to Alertmanager, which delivers the watchdog to the heartbeat webhook', async () => {
    expect(await alertmanagers(prometheus)).toEqual(['http://alertmanager:9093/api/v2/alerts']);
    const line = await waitFor(
      async () =>
        (await project.logs('alert-sink'))
          .split('\n')
          .find((l) => l.includes('"path":"/heartbeat"') && l.includes('"alertname":"Watchdog"')),
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'the watchdog at the alert sink' },
    );
    process.stdout.write(
      `[monitoring:metric] watchdog_delivered_after_s=${Math.round((Date.now() - started) / 1000)}\n`,
    );
    expect(JSON.parse(line)).toMatchObject({ receiver: 'heartbeat', status: 'firing' });
  });

  it('routes a critical alert to the webhook and inhibits the warnings of a service that is down', async () => {
    const now = new Date().toISOString();
    const post = await fetch(`${alertmanager}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'KeelsonApiDown', severity: 'critical', job: 'api' },
          annotations: { summary: 'test' },
          startsAt: now,
        },
        {
          labels: {
            alertname: 'KeelsonTargetDown',
            severity: 'warning',
            job: 'api',
            instance: '172.18.0.9:3000',
          },
          annotations: { summary: 'test' },
          startsAt: now,
        },
      ]),
    });
    expect(post.status).toBe(200);

    const states = await waitFor(
      async () => {
        const response = await fetch(`${alertmanager}/api/v2/alerts?filter=job%3D%22api%22`);
        const alerts = (await response.json()) as {
          labels: { alertname: string };
          status: { state: string; inhibitedBy: string[] };
        }[];
        const byName = Object.fromEntries(alerts.map((alert) => [alert.labels.alertname, alert.status]));
        return byName.KeelsonTargetDown?.state === 'suppressed' ? byName : undefined;
      },
      { timeoutMs: 20_000, what: 'the warning to be inhibited' },
    );
    expect(states.KeelsonApiDown?.state).toBe('active');
    expect(states.KeelsonTargetDown?.inhibitedBy).toHaveLength(1);

    // Critical route: group_wait 10 s, then the webhook (never the inhibited warning).
    const delivered = await waitFor(
      async () =>
        (await project.logs('alert-sink'))
          .split('\n')
          .find((l) => l.includes('"path":"/alerts"') && l.includes('KeelsonApiDown')),
      { timeoutMs: 40_000, intervalMs: 1_000, what: 'the critical alert at the webhook' },
    );
    expect(JSON.parse(delivered)).toMatchObject({
      receiver: 'webhook',
      status: 'firing',
      groupLabels: { alertname: 'KeelsonApiDown', job: 'api' },
    });
    expect(await project.logs('alert-sink')).not.toContain('KeelsonTargetDown');
  });
});
