import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectSuccess, PROMETHEUS_IMAGE, runTool } from '../src/docker.ts';
import { readYaml, ruleFiles, type RuleFile } from '../src/files.ts';
import { MONITORING_DIR } from '../src/paths.ts';
import { PROMETHEUS_UNSTABLE_IMAGE, toolVersion } from '../src/unstable-images.ts';

/**
 * The pinned image (on a machine without a registry: the Prometheus 2.53 stand-in that the stack
 * suite runs too) and Prometheus 3 from Debian unstable: the files must pass both.
 */
const BUILDS = [
  { name: `the pinned ${PROMETHEUS_IMAGE}`, image: PROMETHEUS_IMAGE },
  { name: 'Prometheus 3 (Debian unstable)', image: PROMETHEUS_UNSTABLE_IMAGE },
];

/** promtool of an image, with monitoring/prometheus mounted where compose mounts it. */
const promtoolOf =
  (image: string) =>
  (...args: string[]) =>
    runTool(image, 'promtool', args, '/etc/prometheus', join(MONITORING_DIR, 'prometheus'));

interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: {
    job_name: string;
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
    static_configs?: { targets: string[] }[];
  }[];
}

interface RuleTests {
  rule_files: string[];
  group_eval_order?: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const config = readYaml<PrometheusConfig>('prometheus/prometheus.yml');
const alerts = ruleFiles()
  .flatMap((file) => readYaml<RuleFile>(file).groups)
  .flatMap((group) => group.rules)
  .filter((rule) => rule.alert);

describe('the Prometheus builds', () => {
  it('include a Prometheus 3: the release line compose.yaml pins', async () => {
    const versions = await Promise.all(BUILDS.map((build) => toolVersion(build.image, 'promtool')));
    process.stdout.write(`[monitoring:metric] promtool_versions=${versions.join(',')}\n`);
    expect(PROMETHEUS_IMAGE).toMatch(/^prom\/prometheus:v3\./);
    expect(versions[1]).toMatch(/^3\./);
  });
});

describe.each(BUILDS)('promtool of $name', ({ image }) => {
  const promtool = promtoolOf(image);

  it('accepts prometheus.yml and finds every rule file through its rule_files glob', async () => {
    const result = expectSuccess(
      await promtool('check', 'config', '/etc/prometheus/prometheus.yml'),
      'check config',
    );
    expect(result.stdout).toContain(`SUCCESS: ${ruleFiles().length} rule files found`);
  });

  it('accepts every rule file (syntax, PromQL, templates)', async () => {
    const files = ruleFiles().map((file) => `/etc/${file}`);
    const result = expectSuccess(await promtool('check', 'rules', ...files), 'check rules');
    expect(result.stdout.match(/SUCCESS/g)).toHaveLength(files.length);
  });

  it('passes the alert unit tests (tests/alerts.test.yml)', async () => {
    const result = expectSuccess(
      await promtool('test', 'rules', '/etc/prometheus/tests/alerts.test.yml'),
      'test rules',
    );
    expect(result.stdout).toContain('SUCCESS');
  });
});

describe('the alert unit tests', () => {
  const tests = readYaml<RuleTests>('prometheus/tests/alerts.test.yml');
  const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);

  it('load every rule file', () => {
    expect(tests.rule_files.map((file) => `prometheus/${file.replace('../', '')}`).sort()).toEqual(
      ruleFiles(),
    );
  });

  it('evaluate every rule group in a fixed order, recording groups before alerting ones', () => {
    // promtool orders the groups by this list and leaves the rest in random (map) order: an alert
    // reading a recording rule evaluated after it sees the previous evaluation's value.
    const groups = ruleFiles().flatMap((file) => readYaml<RuleFile>(file).groups);
    const names = groups.map((group) => group.name);
    expect(new Set(names).size, 'group names unique across rule files').toBe(names.length);
    const order = tests.group_eval_order ?? [];
    expect([...order].sort()).toEqual([...names].sort());
    const records = (name: string) =>
      groups.find((group) => group.name === name)!.rules.every((rule) => rule.record);
    const firstAlerting = order.findIndex((name) => !records(name));
    expect(order.slice(firstAlerting).filter(records), 'recording groups after an alerting one').toEqual([]);
  });

  it.each(alerts.map((rule) => rule.alert!))(
    'cover %s firing and, unless it always fires, not firing',
    (name) => {
      const mine = cases.filter((test) => test.alertname === name);
      expect(
        mine.some((test) => test.exp_alerts.length > 0),
        `${name} firing`,
      ).toBe(true);
      if (name !== 'Watchdog')
        expect(
          mine.some((test) => test.exp_alerts.length === 0),
          `${name} not firing`,
        ).toBe(true);
    },
  );
});

describe('prometheus.yml', () => {
  const job = (name: string) => config.scrape_configs.find((scrape) => scrape.job_name === name);

  it.each([
    ['api', 9464],
    ['task-runner', 3001],
    ['agent', 3002],
  ] as const)('scrapes every %s replica: DNS A records of the compose service, port %i', (service, port) => {
    expect(job(service)?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: [service], type: 'A', port }),
    ]);
  });

  it('scrapes Prometheus itself and Alertmanager, and sends alerts to alertmanager:9093', () => {
    expect(job('prometheus')?.static_configs).toEqual([{ targets: ['localhost:9090'] }]);
    expect(job('alertmanager')?.static_configs).toEqual([{ targets: ['alertmanager:9093'] }]);
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
  });

  it('loads the rules from where compose mounts them', () => {
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
  });
});

describe('alerting rules', () => {
  it.each(alerts.map((rule) => [rule.alert!, rule] as const))(
    '%s has a severity, a summary and a description',
    (_name, rule) => {
      expect(['critical', 'warning', 'none']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
    },
  );

  it('name every service they watch by `job`, for the inhibit rule (label or expression)', () => {
    for (const rule of alerts.filter((r) => r.alert !== 'Watchdog')) {
      const hasJob = Boolean(rule.labels?.job) || /job[=~]|by \(job\)|:rate5m\{job=|job:/.test(rule.expr);
      expect(hasJob, rule.alert).toBe(true);
    }
  });
});
