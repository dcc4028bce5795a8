import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { expectSuccess, PROMETHEUS_IMAGE, runTool } from '../src/docker.ts';
import { extractExpressions, recordedNames, substituteVariables } from '../src/expressions.ts';
import { allPanels, dashboardFiles, readJson, type Dashboard } from '../src/files.ts';
import { createServiceMetrics, exposedMetricNames, type Role } from '../src/fixtures/service-metrics.ts';
import { vectorSelectors } from '../src/promql.ts';
import { PROMETHEUS_UNSTABLE_IMAGE } from '../src/unstable-images.ts';

describe('vectorSelectors', () => {
  it('finds metric selectors with their matchers, skipping functions, groupings and durations', () => {
    const expr = `histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket{job="api", route=~"/v1/.+"}[5m] offset 1h)))`;
    expect(vectorSelectors(expr).map((s) => s.text)).toEqual([
      'http_request_duration_seconds_bucket{job="api", route=~"/v1/.+"}',
    ]);
  });

  it('handles binary operators, bare names, name-only selectors and strings that look like names', () => {
    const expr = `(a:b:rate5m or c * 0) / ignoring(x) group_left(y) d{l="{x}"} and on (job) {__name__="e"} unless label_replace(f, "dst", "$1", "src", "(.*)") > bool 1e3`;
    expect(vectorSelectors(expr).map((s) => s.text)).toEqual([
      'a:b:rate5m',
      'c',
      'd{l="{x}"}',
      '{__name__="e"}',
      'f',
    ]);
  });

  it('finds nothing in vector(1) and absent() keeps its argument', () => {
    expect(vectorSelectors('vector(1)')).toEqual([]);
    expect(vectorSelectors('absent(up{job="api"} == 1)').map((s) => s.metric)).toEqual(['up']);
  });
});

describe('substituteVariables', () => {
  it('replaces Grafana built-ins and dashboard variables, and leaves PromQL alone', () => {
    expect(
      substituteVariables('rate(x{job=~"$job", instance=~"${instance}"}[$__rate_interval])', {
        job: 'api|agent',
        instance: '.+',
      }),
    ).toBe('rate(x{job=~"api|agent", instance=~".+"}[1m])');
    expect(substituteVariables('label_replace(up, "a", "$1", "b", "(.*)")')).toBe(
      'label_replace(up, "a", "$1", "b", "(.*)")',
    );
  });
});

describe('extractExpressions', () => {
  const expressions = extractExpressions();

  it('takes every Prometheus target of every dashboard, every variable, and every rule', () => {
    const targets = dashboardFiles()
      .map((file) => readJson<Dashboard>(file))
      .flatMap((dashboard) => allPanels(dashboard))
      .filter((panel) => panel.datasource?.uid === 'prometheus')
      .flatMap((panel) => panel.targets ?? []);
    const count = (kind: string) => expressions.filter((e) => e.kind === kind).length;
    expect(count('dashboard')).toBe(targets.length);
    expect(count('variable')).toBe(2);
    expect(count('recording')).toBe(recordedNames().length);
    expect(count('alert')).toBe(13);
    for (const expression of expressions) expect(expression.query, expression.source).not.toMatch(/\$(?!1)/);
  });
});

describe('every expression', () => {
  const expressions = extractExpressions();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monitoring-exprs-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // The pinned image (here: the 2.53 stand-in) and Prometheus 3 from Debian unstable.
  it.each([PROMETHEUS_IMAGE, PROMETHEUS_UNSTABLE_IMAGE])(
    'is valid PromQL for %s (promtool, with each dashboard query as a recording rule)',
    async (image) => {
      const rules = expressions
        .filter((e) => e.kind === 'dashboard' || e.kind === 'variable')
        .map((e, i) => ({ record: `dashboard:expression_${i}`, expr: e.query }));
      await writeFile(join(dir, 'dashboards.yml'), stringify({ groups: [{ name: 'dashboards', rules }] }), {
        mode: 0o644,
      });
      const result = await runTool(
        image,
        'promtool',
        ['check', 'rules', '/exprs/dashboards.yml'],
        '/exprs',
        dir,
      );
      expectSuccess(result, 'check rules (dashboard expressions)');
      expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    },
  );

  it('names only metrics a service exports, a rule records, or Prometheus makes', async () => {
    const exported = new Set<string>();
    for (const role of ['api', 'task-runner', 'agent'] as Role[]) {
      const service = await createServiceMetrics(role);
      for (const name of await exposedMetricNames(service.registry)) exported.add(name);
      await service.app.close();
    }
    const recorded = new Set(recordedNames());
    const unknown = expressions.flatMap((expression) =>
      vectorSelectors(expression.query)
        .map((selector) => selector.metric)
        .filter((metric): metric is string => metric !== undefined)
        .filter(
          (metric) =>
            !exported.has(metric) &&
            !recorded.has(metric) &&
            metric !== 'up' &&
            !metric.startsWith('prometheus_'),
        )
        .map((metric) => `${expression.source}: ${metric}`),
    );
    expect(unknown).toEqual([]);
  });
});
