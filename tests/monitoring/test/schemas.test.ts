import { describe, expect, it } from 'vitest';
import { readYaml } from '../src/files.ts';
import {
  COLLECTOR,
  COLLECTOR_COMPONENTS,
  GRAFANA_DASHBOARD_PROVIDERS,
  GRAFANA_DATASOURCES,
  LOKI_3_7,
  TEMPO_3,
  TEMPO_3_REMOVED,
  unknownKeys,
} from '../src/schemas.ts';

/**
 * Tempo, Loki, the Collector and Grafana cannot run here (no stand-in image exists for them):
 * their files are checked against the keys of the release compose.yaml pins instead (see
 * src/schemas.ts). Each schema names its release; bumping the pin past it fails the first test
 * until the schema is checked against the new release's reference.
 */
const compose = readYaml<{ services: Record<string, { image: string }> }>('compose.yaml');
const image = (service: string) => compose.services[service]!.image;

describe('the schemas follow the pinned releases', () => {
  it('Tempo 3.0, Loki 3.7, a Collector with the otlp_grpc/otlp_http exporter names, Grafana 13', () => {
    expect(image('tempo')).toMatch(/^grafana\/tempo:3\.0\.\d+$/);
    expect(image('loki')).toMatch(/^grafana\/loki:3\.7\.\d+$/);
    // The exporters' current type names exist from 0.14x; the fields checked are 0.159's and later.
    expect(Number(/:0\.(\d+)\.\d+$/.exec(image('otel-collector'))?.[1])).toBeGreaterThanOrEqual(159);
    expect(image('grafana')).toMatch(/^grafana\/grafana:13\.\d+\.\d+-ubuntu$/);
  });
});

describe('tempo/tempo.yaml', () => {
  const tempo = readYaml('tempo/tempo.yaml');

  it('uses only keys Tempo 3 knows', () => {
    expect(unknownKeys(tempo, TEMPO_3)).toEqual([]);
  });

  it('has none of the 2.x blocks Tempo 3 removed (ingester, compactor, …): it would not start', () => {
    expect(Object.keys(tempo).filter((key) => TEMPO_3_REMOVED.includes(key))).toEqual([]);
  });

  it('keeps a week of traces through the backend worker’s retention', () => {
    expect(tempo).toMatchObject({ backend_worker: { compaction: { block_retention: '168h' } } });
  });
});

describe('loki/loki.yaml', () => {
  it('uses only keys Loki 3.7 knows', () => {
    expect(unknownKeys(readYaml('loki/loki.yaml'), LOKI_3_7)).toEqual([]);
  });
});

describe('otel-collector/config.yaml and its overlays', () => {
  /** `kind.name: problem` for each component whose type or fields the contrib distribution lacks. */
  function componentProblems(config: Record<string, Record<string, unknown> | undefined>): string[] {
    return Object.entries(COLLECTOR_COMPONENTS).flatMap(([kind, types]) =>
      Object.entries(config[kind] ?? {}).flatMap(([name, settings]) => {
        const schema = types[name.split('/')[0]!];
        if (!schema) return [`${kind}.${name}: no such component type`];
        return unknownKeys(settings ?? {}, schema).map((key) => `${kind}.${name}.${key}: unknown`);
      }),
    );
  }

  it.each(['otel-collector/config.yaml', 'otel-collector/overlays/debug.yaml'])(
    '%s names component types the contrib distribution has, with their fields',
    (file) => {
      const config = readYaml<Record<string, Record<string, unknown>>>(file);
      expect(unknownKeys(config, COLLECTOR)).toEqual([]);
      expect(componentProblems(config)).toEqual([]);
    },
  );
});

describe('grafana/provisioning', () => {
  it('data sources use provisioning apiVersion 1 keys and the jsonData of their types', () => {
    const file = readYaml('grafana/provisioning/datasources/datasources.yml');
    expect(file.apiVersion).toBe(1);
    expect(unknownKeys(file, GRAFANA_DATASOURCES)).toEqual([]);
  });

  it('the dashboard provider uses provisioning apiVersion 1 keys', () => {
    const file = readYaml('grafana/provisioning/dashboards/dashboards.yml');
    expect(file.apiVersion).toBe(1);
    expect(unknownKeys(file, GRAFANA_DASHBOARD_PROVIDERS)).toEqual([]);
  });
});

describe('unknownKeys', () => {
  it('reports every key path a tree does not list, in maps, lists and under wildcards', () => {
    const tree = { a: { b: true }, list: { x: true }, named: { '*': { y: true } } } as const;
    const value = { a: { b: 1, c: 2 }, list: [{ x: 1 }, { z: 1 }], named: { one: { y: 1, w: 1 } }, d: 0 };
    expect(unknownKeys(value, tree)).toEqual(['a.c', 'list[1].z', 'named.one.w', 'd']);
  });

  it('catches a Tempo 2.x block and a typo in a Tempo 3 file', () => {
    const legacy = { ingester: { max_block_duration: '5m' }, storage: { trace: { wall: { path: '/x' } } } };
    expect(unknownKeys(legacy, TEMPO_3)).toEqual(['ingester', 'storage.trace.wall']);
  });
});
