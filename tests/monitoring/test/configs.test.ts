import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docker, expectSuccess } from '../src/docker.ts';
import { readText, readYaml } from '../src/files.ts';
import { MONITORING_DIR, REPO_ROOT } from '../src/paths.ts';

interface Service {
  image: string;
  profiles?: string[];
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: unknown;
}
const compose = readYaml<{ services: Record<string, Service>; volumes: Record<string, unknown> }>(
  'compose.yaml',
);
const services = Object.entries(compose.services);

describe('monitoring/compose.yaml', () => {
  it('puts every service in the monitoring profile only', () => {
    for (const [name, service] of services) expect(service.profiles, name).toEqual(['monitoring']);
  });

  it('pins every image by tag: Debian-based variants, never latest, alpine or a digest', () => {
    for (const [name, service] of services) {
      expect(service.image, name).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
      expect(service.image, name).not.toMatch(/alpine|:latest$|@sha256/);
    }
  });

  it('says what each service is for, in a comment right above it', () => {
    const text = readText('compose.yaml');
    for (const [name] of services) {
      const lines = text.split('\n');
      const at = lines.findIndex((line) => line === `  ${name}:`);
      expect(lines[at - 1], name).toMatch(/^\s+#/);
    }
  });

  it('publishes ports on loopback only, on the documented host ports', () => {
    for (const [name, service] of services) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
    expect(compose.services.prometheus?.ports).toEqual(['127.0.0.1:${PROMETHEUS_PORT:-9090}:9090']);
    expect(compose.services.alertmanager?.ports).toEqual(['127.0.0.1:${ALERTMANAGER_PORT:-9093}:9093']);
    expect(compose.services.grafana?.ports).toEqual(['127.0.0.1:${GRAFANA_PORT:-3300}:3000']);
    expect(compose.services['otel-collector']?.ports).toEqual([
      '127.0.0.1:${OTLP_GRPC_PORT:-4317}:4317',
      '127.0.0.1:${OTLP_HTTP_PORT:-4318}:4318',
    ]);
  });

  it('mounts files and folders that exist, read-only, and declares its named volumes', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const [source, , mode] = volume.split(':');
        if (source!.startsWith('./')) {
          expect(existsSync(join(MONITORING_DIR, source!)), `${name}: ${source}`).toBe(true);
          expect(mode, `${name}: ${volume}`).toBe('ro');
        } else {
          expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source!);
        }
      }
    }
  });

  it('gives a healthcheck to every service whose image has a tool to run one', () => {
    for (const name of ['prometheus', 'alertmanager', 'alert-sink'])
      expect(compose.services[name]?.healthcheck, name).toBeDefined();
  });
});

describe('docker compose', () => {
  // The root compose.yaml includes monitoring/compose.yaml itself; its committed .env selects dev.
  const root = ['-f', join(REPO_ROOT, 'compose.yaml')];
  const monitoringEnv = ['--env-file', join(MONITORING_DIR, 'monitoring.env')];

  const services = async (...args: string[]) =>
    expectSuccess(await docker(['compose', ...args, 'config', '--services']), `compose ${args.join(' ')}`)
      .stdout.trim()
      .split('\n')
      .sort();

  interface Resolved {
    services: Record<
      string,
      { environment?: Record<string, string>; volumes?: { type: string; source: string }[] }
    >;
  }
  const resolved = async (...args: string[]): Promise<Resolved> =>
    JSON.parse(
      expectSuccess(await docker(['compose', ...args, 'config', '--format', 'json']), 'compose config')
        .stdout,
    ) as Resolved;

  /** OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME of each app service in a resolved config. */
  const otel = (config: Resolved, apps: string[]) =>
    Object.fromEntries(
      apps.map((app) => {
        const env = config.services[app]?.environment ?? {};
        return [app, [env.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_SERVICE_NAME]];
      }),
    );

  it('accepts the file on its own', async () => {
    expect(await services('-f', join(MONITORING_DIR, 'compose.yaml'), '--profile', 'monitoring')).toEqual(
      Object.keys(compose.services).sort(),
    );
  });

  it('merges into the root stack through include, with dev or prod, and adds nothing without the profile', async () => {
    // `--profile` replaces the COMPOSE_PROFILES of .env: the apps' profile is named as well.
    expect(await services(...root, '--profile', 'dev', '--profile', 'monitoring')).toEqual(
      expect.arrayContaining([...Object.keys(compose.services), 'api', 'task-runner', 'agent']),
    );
    expect(await services(...root, '--profile', 'prod', '--profile', 'monitoring')).toEqual(
      expect.arrayContaining([
        ...Object.keys(compose.services),
        'api-prod',
        'task-runner-prod',
        'agent-prod',
      ]),
    );
    const without = await services(...root);
    expect(without).toEqual(expect.arrayContaining(['api', 'task-runner', 'agent']));
    expect(without.filter((name) => name in compose.services)).toEqual([]);
  });

  it('resolves the bind mounts against monitoring/ when included', async () => {
    const config = await resolved(...root, '--profile', 'dev', '--profile', 'monitoring');
    const sources = (config.services.prometheus?.volumes ?? [])
      .filter((v) => v.type === 'bind')
      .map((v) => v.source);
    expect(sources).toEqual([
      join(MONITORING_DIR, 'prometheus/prometheus.yml'),
      join(MONITORING_DIR, 'prometheus/rules'),
    ]);
  });

  it('turns the profile, the dev apps and their OTLP export on with monitoring.env', async () => {
    const env = readText('monitoring.env');
    // --env-file replaces .env, so the file names dev too (prod: add `--profile prod --profile monitoring`).
    expect(env).toMatch(/^COMPOSE_PROFILES=dev,monitoring$/m);
    expect(env).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/otel-collector:4318$/m);
    const dev = ['api', 'task-runner', 'agent'];
    expect(await services(...monitoringEnv, ...root)).toEqual(
      expect.arrayContaining([...Object.keys(compose.services), ...dev]),
    );
    const endpoint = 'http://otel-collector:4318';
    expect(otel(await resolved(...monitoringEnv, ...root), dev)).toEqual({
      api: [endpoint, 'api'],
      'task-runner': [endpoint, 'task-runner'],
      agent: [endpoint, 'agent'],
    });
    const prod = ['api-prod', 'task-runner-prod', 'agent-prod'];
    expect(
      otel(await resolved(...monitoringEnv, ...root, '--profile', 'prod', '--profile', 'monitoring'), prod),
    ).toEqual({
      'api-prod': [endpoint, 'api'],
      'task-runner-prod': [endpoint, 'task-runner'],
      'agent-prod': [endpoint, 'agent'],
    });
  });

  it('leaves tracing off without monitoring.env: the endpoint is empty', async () => {
    expect(otel(await resolved(...root), ['api', 'task-runner', 'agent'])).toEqual({
      api: ['', 'api'],
      'task-runner': ['', 'task-runner'],
      agent: ['', 'agent'],
    });
  });
});

interface Collector {
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
  processors?: Record<string, unknown>;
  exporters: Record<string, { endpoint: string }>;
  extensions?: Record<string, unknown>;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }>;
  };
}

/** The collector's rule for several --config files: maps merged key by key, lists replaced. */
function merge(base: unknown, overlay: unknown): unknown {
  if (
    overlay &&
    typeof overlay === 'object' &&
    !Array.isArray(overlay) &&
    base &&
    typeof base === 'object' &&
    !Array.isArray(base)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(overlay)) out[key] = merge(out[key], value);
    return out;
  }
  return overlay === undefined ? base : overlay;
}

function expectValidPipelines(config: Collector) {
  for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
    for (const receiver of pipeline.receivers)
      expect(config.receivers, `${name}: ${receiver}`).toHaveProperty([receiver]);
    for (const processor of pipeline.processors ?? [])
      expect(config.processors, `${name}: ${processor}`).toHaveProperty([processor]);
    for (const exporter of pipeline.exporters)
      expect(config.exporters, `${name}: ${exporter}`).toHaveProperty([exporter]);
  }
  for (const extension of config.service.extensions ?? [])
    expect(config.extensions).toHaveProperty([extension]);
}

describe('OpenTelemetry Collector configuration', () => {
  const collector = readYaml<Collector>('otel-collector/config.yaml');
  const tempo = readYaml<{
    server: { http_listen_port: number };
    distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: string } } } } };
    storage: { trace: { wal: { path: string }; local: { path: string } } };
  }>('tempo/tempo.yaml');
  const loki = readYaml<{
    server: { http_listen_port: number };
    common: { path_prefix: string };
    limits_config: { allow_structured_metadata: boolean };
    schema_config: { configs: { store: string; schema: string }[] };
  }>('loki/loki.yaml');

  it('receives OTLP on 4317 (gRPC) and 4318 (HTTP) on every interface, the ports compose publishes', () => {
    expect(collector.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(collector.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
  });

  it('sends traces to Tempo’s OTLP gRPC receiver and logs to Loki’s OTLP endpoint', () => {
    const tempoPort = tempo.distributor.receivers.otlp.protocols.grpc.endpoint.split(':').pop();
    expect(collector.exporters['otlp_grpc/tempo']?.endpoint).toBe(`tempo:${tempoPort}`);
    expect(collector.exporters['otlp_http/loki']?.endpoint).toBe(
      `http://loki:${loki.server.http_listen_port}/otlp`,
    );
    expect(collector.service.pipelines.traces?.exporters).toEqual(['otlp_grpc/tempo']);
    expect(collector.service.pipelines.logs?.exporters).toEqual(['otlp_http/loki']);
    expect(Object.keys(collector.service.pipelines)).not.toContain('metrics'); // Prometheus scrapes
  });

  it('names only components it defines, with or without an overlay; the debug exporter is off by default', () => {
    expectValidPipelines(collector);
    expect(JSON.stringify(collector)).not.toContain('debug');
    expect(readYaml('otel-collector/overlays/none.yaml')).toEqual({});
    const debug = merge(collector, readYaml('otel-collector/overlays/debug.yaml')) as Collector;
    expectValidPipelines(debug);
    expect(debug.service.pipelines.traces?.exporters).toEqual(['otlp_grpc/tempo', 'debug']);
    expect(debug.service.pipelines.logs?.exporters).toEqual(['otlp_http/loki', 'debug']);
  });

  it('loads the overlay compose names, from the mounted folder', () => {
    const service = compose.services['otel-collector']!;
    expect(service.volumes).toEqual(['./otel-collector:/etc/otelcol:ro']);
    expect(service.command).toEqual([
      '--config=/etc/otelcol/config.yaml',
      '--config=/etc/otelcol/overlays/${OTELCOL_OVERLAY:-none}.yaml',
    ]);
  });
});

describe('Tempo and Loki configuration', () => {
  const tempo = readYaml<{
    server: { http_listen_port: number };
    storage: { trace: { backend: string; wal: { path: string }; local: { path: string } } };
  }>('tempo/tempo.yaml');
  const loki = readYaml<{
    server: { http_listen_port: number };
    common: { path_prefix: string; storage: { filesystem: Record<string, string> } };
    limits_config: { allow_structured_metadata: boolean };
    schema_config: { configs: { store: string; schema: string }[] };
  }>('loki/loki.yaml');

  it('Tempo answers Grafana on 3200 and keeps its data in the volume compose mounts', () => {
    expect(tempo.server.http_listen_port).toBe(3200);
    expect(compose.services.tempo?.volumes).toContain('tempo-data:/var/tempo');
    expect(tempo.storage.trace.backend).toBe('local');
    for (const path of [tempo.storage.trace.wal.path, tempo.storage.trace.local.path])
      expect(path).toMatch(/^\/var\/tempo\//);
  });

  it('Loki answers on 3100, stores structured metadata (OTLP) with a TSDB v13 schema, in its volume', () => {
    expect(loki.server.http_listen_port).toBe(3100);
    expect(loki.limits_config.allow_structured_metadata).toBe(true);
    expect(loki.schema_config.configs.at(-1)).toMatchObject({ store: 'tsdb', schema: 'v13' });
    expect(compose.services.loki?.volumes).toContain('loki-data:/loki');
    expect(loki.common.path_prefix).toBe('/loki');
    for (const path of Object.values(loki.common.storage.filesystem)) expect(path).toMatch(/^\/loki\//);
  });

  it('each service is started with its mounted configuration file', () => {
    expect(compose.services.tempo?.command).toEqual(['-config.file=/etc/tempo/tempo.yaml']);
    expect(compose.services.tempo?.volumes).toContain('./tempo/tempo.yaml:/etc/tempo/tempo.yaml:ro');
    expect(compose.services.loki?.command).toEqual(['-config.file=/etc/loki/loki.yaml']);
    expect(compose.services.loki?.volumes).toContain('./loki/loki.yaml:/etc/loki/loki.yaml:ro');
  });
});
