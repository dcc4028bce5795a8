import { describe, expect, it } from 'vitest';
import {
  allPanels,
  dashboardFiles,
  readJson,
  readYaml,
  type Dashboard,
  type DataSourceRef,
} from '../src/files.ts';

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  isDefault?: boolean;
  jsonData?: {
    derivedFields?: { datasourceUid: string }[];
    tracesToLogsV2?: { datasourceUid: string; query?: string };
  };
}
interface Compose {
  services: Record<string, { volumes?: string[]; ports?: string[] }>;
}

const datasources = readYaml<{ datasources: Datasource[] }>(
  'grafana/provisioning/datasources/datasources.yml',
).datasources;
const providers = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
  'grafana/provisioning/dashboards/dashboards.yml',
).providers;
const compose = readYaml<Compose>('compose.yaml');
const dashboards = dashboardFiles().map((file) => ({ file, dashboard: readJson<Dashboard>(file) }));
const byUid = new Map(datasources.map((source) => [source.uid, source]));

describe('provisioned data sources', () => {
  it('have the fixed uids dashboards refer to: prometheus, loki, tempo', () => {
    expect(datasources.map((source) => [source.uid, source.type])).toEqual([
      ['prometheus', 'prometheus'],
      ['loki', 'loki'],
      ['tempo', 'tempo'],
    ]);
    expect(datasources.filter((source) => source.isDefault).map((source) => source.uid)).toEqual([
      'prometheus',
    ]);
  });

  it('point at the compose services on their ports (prometheus:9090, loki:3100, tempo:3200)', () => {
    expect(Object.fromEntries(datasources.map((source) => [source.uid, source.url]))).toEqual({
      prometheus: 'http://prometheus:9090',
      loki: 'http://loki:3100',
      tempo: 'http://tempo:3200',
    });
    for (const host of ['prometheus', 'loki', 'tempo']) expect(compose.services[host], host).toBeDefined();
  });

  it('link logs to traces and traces to logs through provisioned uids', () => {
    expect(byUid.get('loki')?.jsonData?.derivedFields?.map((field) => field.datasourceUid)).toEqual([
      'tempo',
    ]);
    const tracesToLogs = byUid.get('tempo')?.jsonData?.tracesToLogsV2;
    expect(tracesToLogs?.datasourceUid).toBe('loki');
    // `$$` survives Grafana's environment expansion as a literal `$`.
    expect(tracesToLogs?.query).toContain('trace_id="$${__trace.traceId}"');
  });
});

describe('dashboard provisioning', () => {
  it('loads the folder compose mounts the dashboards into', () => {
    const mounts = compose.services.grafana?.volumes ?? [];
    expect(mounts).toContain('./grafana/dashboards:/var/lib/grafana/dashboards:ro');
    expect(mounts).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }),
      }),
    ]);
  });

  it('includes the api, queues, agent and runtime dashboards', () => {
    expect(dashboards.map(({ dashboard }) => dashboard.uid).sort()).toEqual([
      'keelson-agent',
      'keelson-api',
      'keelson-queues',
      'keelson-runtime',
    ]);
  });
});

describe.each(dashboards.map(({ file, dashboard }) => [file, dashboard] as const))(
  '%s',
  (_file, dashboard) => {
    const panels = allPanels(dashboard);

    it('has a uid and title unique among the dashboards', () => {
      expect(dashboards.filter(({ dashboard: d }) => d.uid === dashboard.uid)).toHaveLength(1);
      expect(dashboards.filter(({ dashboard: d }) => d.title === dashboard.title)).toHaveLength(1);
    });

    it('gives every panel a unique id and a title, inside the 24-column grid, without overlaps', () => {
      expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect(panel.title, `panel ${panel.id}`).toBeTruthy();
        expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      }
      for (const [i, a] of panels.entries()) {
        for (const b of panels.slice(i + 1)) {
          const overlap =
            a.gridPos.x < b.gridPos.x + b.gridPos.w &&
            b.gridPos.x < a.gridPos.x + a.gridPos.w &&
            a.gridPos.y < b.gridPos.y + b.gridPos.h &&
            b.gridPos.y < a.gridPos.y + a.gridPos.h;
          expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
        }
      }
    });

    it('uses only provisioned data sources, by uid and matching type', () => {
      const refs: [string, DataSourceRef][] = [];
      for (const panel of panels.filter((p) => p.type !== 'row')) {
        expect(panel.datasource, panel.title).toBeTruthy();
        refs.push([panel.title, panel.datasource!]);
        for (const target of panel.targets ?? [])
          refs.push([`${panel.title} › ${target.refId}`, target.datasource ?? panel.datasource!]);
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      }
      for (const variable of dashboard.templating?.list ?? []) {
        if (variable.datasource) refs.push([`$${variable.name}`, variable.datasource]);
      }
      for (const [where, ref] of refs) {
        const source = byUid.get(ref.uid ?? '');
        expect(source, `${where}: uid ${ref.uid}`).toBeDefined();
        if (ref.type) expect(ref.type, where).toBe(source?.type);
      }
    });

    it('queries Loki by the service_name label OTLP ingestion gives each service', () => {
      for (const panel of panels.filter((p) => p.datasource?.uid === 'loki')) {
        for (const target of panel.targets ?? []) {
          expect(target.expr, panel.title).toMatch(/^\{service_name="(api|task-runner|agent)"\}/);
        }
      }
    });
  },
);
