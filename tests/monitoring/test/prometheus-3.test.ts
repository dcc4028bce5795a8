import { describe, expect, it } from 'vitest';
import { extractExpressions } from '../src/expressions.ts';
import { readText, readYaml } from '../src/files.ts';
import { createServiceMetrics, exposedMetricNames, type Role } from '../src/fixtures/service-metrics.ts';

/**
 * What Prometheus 3 changed that a configuration or a target can trip on (its migration guide,
 * docs/migration.md at v3.13.2), checked on this profile's files and on the services' /metrics
 * (built by the same code, see fixtures/). The promtool checks and the live test run a real
 * Prometheus 3 besides; these name the rule when it breaks.
 */
const ROLES: Role[] = ['api', 'task-runner', 'agent'];
const expressions = extractExpressions();

describe('the Prometheus 3 migration', () => {
  it('selects no `le` or `quantile` by an integer value: 3.x ingests `le="1"` as "1.0"', () => {
    const integerBucket = /\b(le|quantile)\s*(=|!=|=~|!~)\s*"\d+"/;
    expect(expressions.filter((e) => integerBucket.test(e.query)).map((e) => e.source)).toEqual([]);
    const unitTests = readText('prometheus/tests/alerts.test.yml');
    expect(unitTests.match(/\b(le|quantile)="\d+"/g) ?? []).toEqual([]);
  });

  it('uses no function 3.0 renamed or put behind a flag (holt_winters)', () => {
    expect(expressions.filter((e) => /\bholt_winters\s*\(/.test(e.query)).map((e) => e.source)).toEqual([]);
  });

  it('talks to Alertmanager over its v2 API (3.x removed v1) and sets no 3.x-only key 2.53 refuses', () => {
    const config = readYaml<{ alerting: { alertmanagers: { api_version?: string }[] } }>(
      'prometheus/prometheus.yml',
    );
    for (const alertmanager of config.alerting.alertmanagers)
      expect(alertmanager.api_version ?? 'v2').toBe('v2');
    expect(readText('prometheus/prometheus.yml')).not.toMatch(
      /fallback_scrape_protocol|PrometheusText1\.0\.0/,
    );
  });

  it('starts Prometheus with no feature flag 3.0 removed or made the default', () => {
    const command = readYaml<{ services: { prometheus: { command: string[] } } }>('compose.yaml').services
      .prometheus.command;
    expect(command.filter((flag) => flag.startsWith('--enable-feature'))).toEqual([]);
  });

  it.each(ROLES)(
    'the %s serves /metrics with a Content-Type 3.x accepts (it fails a scrape without one) and legacy names',
    async (role) => {
      const service = await createServiceMetrics(role);
      try {
        const response = await service.app.inject({ method: 'GET', url: '/metrics' });
        expect(response.statusCode).toBe(200);
        // The text format's media type and version, which 3.x parses as such.
        expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4(; charset=utf-8)?$/);
        // Names valid under the legacy scheme: 3.x's UTF-8 names change nothing for them.
        const invalid = (await exposedMetricNames(service.registry)).filter(
          (name) => !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name),
        );
        expect(invalid).toEqual([]);
      } finally {
        await service.app.close();
      }
    },
  );
});
