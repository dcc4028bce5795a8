/**
 * Whether tracing starts, decided from the standard OpenTelemetry variables only
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Everything
 * else (endpoint, protocol, headers, sampler, batch sizes, resource attributes) is read by the SDK
 * itself from the same variables, so this file never re-declares them.
 *
 * The rule: no OTLP endpoint and no explicit trace exporter means no SDK at all. A process
 * started without them loads this file and nothing else of OpenTelemetry: zero overhead.
 */
export interface TelemetryConfig {
  enabled: boolean;
  /** Why it is on or off, in words (for tests and debugging). */
  reason: string;
  /**
   * `OTEL_METRICS_EXPORTER` was set explicitly. Unset, the SDK would default to OTLP metrics; the
   * services' metrics are Prometheus's (prom-client at `/metrics`), so OTel metrics stay off.
   */
  otelMetrics: boolean;
  /** `OTEL_SERVICE_NAME`, or undefined (the SDK then reports `unknown_service:node`). */
  serviceName: string | undefined;
  /** `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (see sampler.ts for why they are read here). */
  sampler: string | undefined;
  samplerArg: number | undefined;
}

type Env = Record<string, string | undefined>;

/** The SDK treats an empty variable as unset; so do we (compose passes `${VAR:-}` through as ''). */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function readTelemetryConfig(env: Env = process.env): TelemetryConfig {
  const arg = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  const common = {
    otelMetrics: read(env, 'OTEL_METRICS_EXPORTER') !== undefined,
    serviceName: read(env, 'OTEL_SERVICE_NAME'),
    sampler: read(env, 'OTEL_TRACES_SAMPLER'),
    samplerArg: arg === undefined || Number.isNaN(Number(arg)) ? undefined : Number(arg),
  };
  const off = (reason: string): TelemetryConfig => ({ enabled: false, reason, ...common });
  const on = (reason: string): TelemetryConfig => ({ enabled: true, reason, ...common });

  if (read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return off('OTEL_SDK_DISABLED=true');

  const exporters = (read(env, 'OTEL_TRACES_EXPORTER') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.includes('none')) return off('OTEL_TRACES_EXPORTER=none');

  const endpoint =
    read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint) return on(`OTLP endpoint ${endpoint}`);
  // An exporter named explicitly (e.g. `console` while debugging locally) turns it on without OTLP.
  if (exporters.length > 0) return on(`OTEL_TRACES_EXPORTER=${exporters.join(',')}`);
  return off('no OTEL_EXPORTER_OTLP_ENDPOINT');
}
