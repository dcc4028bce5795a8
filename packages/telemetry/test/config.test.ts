import { describe, expect, it } from 'vitest';
import { readTelemetryConfig } from '../src/config.ts';

describe('readTelemetryConfig', () => {
  it('is off with no OTEL_* variable at all', () => {
    expect(readTelemetryConfig({})).toMatchObject({
      enabled: false,
      reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT',
    });
  });

  it('is on once an OTLP endpoint is configured (general or traces-only)', () => {
    expect(readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).enabled).toBe(
      true,
    );
    expect(
      readTelemetryConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).enabled,
    ).toBe(true);
  });

  it('treats an empty variable as unset, as compose passes `${VAR:-}` through', () => {
    expect(readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).enabled).toBe(false);
    expect(readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).enabled).toBe(false);
  });

  it('is off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' };
    expect(readTelemetryConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(readTelemetryConfig({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).enabled).toBe(false);
    expect(readTelemetryConfig({ ...endpoint, OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
    expect(readTelemetryConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
  });

  it('is on with an explicit trace exporter and no endpoint (console, for local debugging)', () => {
    expect(readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({
      enabled: true,
      reason: 'OTEL_TRACES_EXPORTER=console',
    });
  });

  it('keeps OTel metrics off unless OTEL_METRICS_EXPORTER asks for them', () => {
    expect(readTelemetryConfig({}).otelMetrics).toBe(false);
    expect(readTelemetryConfig({ OTEL_METRICS_EXPORTER: 'otlp' }).otelMetrics).toBe(true);
  });

  it('passes the sampler variables through, ignoring a ratio that is not a number', () => {
    expect(
      readTelemetryConfig({
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toMatchObject({ sampler: 'parentbased_traceidratio', samplerArg: 0.25 });
    expect(readTelemetryConfig({ OTEL_TRACES_SAMPLER_ARG: 'half' }).samplerArg).toBeUndefined();
  });
});
