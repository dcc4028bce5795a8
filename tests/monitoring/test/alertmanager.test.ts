import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERTMANAGER_IMAGE, expectSuccess, runTool } from '../src/docker.ts';
import { readYaml, ruleFiles, type RuleFile } from '../src/files.ts';
import { MONITORING_DIR } from '../src/paths.ts';
import { ALERTMANAGER_UNSTABLE_IMAGE, toolVersion } from '../src/unstable-images.ts';

const CONFIG = '/etc/alertmanager/alertmanager.yml';

/**
 * The pinned image (on a machine without a registry: the Alertmanager 0.28 stand-in) and a newer
 * Alertmanager from Debian unstable: the configuration must pass both.
 */
const BUILDS = [
  { name: `the pinned ${ALERTMANAGER_IMAGE}`, image: ALERTMANAGER_IMAGE },
  { name: 'Alertmanager from Debian unstable', image: ALERTMANAGER_UNSTABLE_IMAGE },
];

/**
 * The receiver amtool's routing tree picks for each label set, all in one container run: one
 * `amtool config routes test` per label set, one receiver name per output line.
 */
async function receiversFor(image: string, labelSets: Record<string, string>[]): Promise<string[]> {
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  const script = labelSets
    .map((labels) => {
      const pairs = Object.entries(labels).map(([name, value]) => quote(`${name}=${value}`));
      return `amtool config routes test --config.file=${CONFIG} ${pairs.join(' ')}`;
    })
    .join(' && ');
  const result = expectSuccess(
    await runTool(image, 'sh', ['-c', script], '/etc/alertmanager', join(MONITORING_DIR, 'alertmanager')),
    'routes test',
  );
  return result.stdout.trim().split('\n');
}

interface AlertmanagerConfig {
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: { name: string; webhook_configs?: { url: string }[] }[];
}
interface Compose {
  services: Record<string, { command?: string[]; healthcheck?: { test: string[] } }>;
}

const config = readYaml<AlertmanagerConfig>('alertmanager/alertmanager.yml');
const alerts = ruleFiles()
  .flatMap((file) => readYaml<RuleFile>(file).groups)
  .flatMap((group) => group.rules)
  .filter((rule) => rule.alert);

describe('the Alertmanager builds', () => {
  it('include one newer than the 0.28 stand-in, printed with the pinned one', async () => {
    const versions = await Promise.all(BUILDS.map((build) => toolVersion(build.image, 'amtool')));
    process.stdout.write(`[monitoring:metric] amtool_versions=${versions.join(',')}\n`);
    expect(Number(/^0\.(\d+)\./.exec(versions[1]!)?.[1])).toBeGreaterThan(28);
  });
});

describe.each(BUILDS)('alertmanager.yml with amtool of $name', ({ image }) => {
  it('passes amtool check-config', async () => {
    const result = expectSuccess(
      await runTool(
        image,
        'amtool',
        ['check-config', CONFIG],
        '/etc/alertmanager',
        join(MONITORING_DIR, 'alertmanager'),
      ),
      'check-config',
    );
    expect(result.stdout).toContain('SUCCESS');
  });

  it('routes the watchdog to the heartbeat receiver and every other alert to the webhook', async () => {
    const others = alerts.filter((rule) => rule.alert !== 'Watchdog');
    const receivers = await receiversFor(image, [
      { alertname: 'Watchdog', severity: 'none' },
      ...others.map((rule) => ({ alertname: rule.alert!, ...rule.labels })),
    ]);
    expect(receivers).toEqual(['heartbeat', ...others.map(() => 'webhook')]);
  });
});

describe('alertmanager.yml', () => {
  it('inhibits with alert names that exist', () => {
    const names = new Set(alerts.map((rule) => rule.alert!));
    for (const rule of config.inhibit_rules) {
      const source = /alertname=~"([^"]+)"/.exec(rule.source_matchers.join(' '))?.[1] ?? '';
      for (const name of source.split('|')) expect(names.has(name), name).toBe(true);
      expect(rule.equal).toEqual(['job']);
    }
  });

  it('delivers to the alert-sink service of the monitoring profile', () => {
    const compose = readYaml<Compose>('compose.yaml');
    const sink = compose.services['alert-sink'];
    expect(sink?.command).toEqual(['node', '/srv/alert-sink/server.mjs']);
    for (const receiver of config.receivers) {
      for (const webhook of receiver.webhook_configs ?? []) {
        expect(new URL(webhook.url).host, receiver.name).toBe('alert-sink:8080');
      }
    }
  });
});
