import { randomBytes } from 'node:crypto';
import { uniqueId, waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';
import { startService, type ServiceProcess } from './support/service-process.ts';

const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

/** The span's ancestors, nearest first, as far as the received spans reach. */
function ancestors(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) {
    chain.push(parent);
  }
  return chain;
}

describe('a service started with --import @repo/telemetry/register', () => {
  let receiver: OtlpReceiver;
  let service: ServiceProcess;
  // The caller's trace: the service must continue it, not start its own.
  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const id = uniqueId('doc');

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    service = await startService({
      script: 'traced-service.ts',
      preload: '@repo/telemetry/register',
      env: {
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        QUEUE_PREFIX: uniqueId('trace'),
        OTEL_SERVICE_NAME: 'traced-service',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // Export within a fraction of a second instead of the default 5 s (spans) / 1 s (logs).
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
      },
    });

    const probe = await fetch(`${service.address}/health`);
    expect(probe.status).toBe(200);
    const response = await fetch(`${service.address}/work/${id}`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id, telemetry: true });
    await waitFor(() => service.lines.some((line) => line.event === 'job-done' && line.id === id), {
      what: 'the job to be processed',
    });
    // The worker's last spans (its pg query, Redis command, `complete`) end with the job.
    await waitFor(() => receiver.spans.some((s) => s.traceId === traceId && s.name.startsWith('complete ')), {
      what: 'the job spans to be exported',
    });
  });

  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
  });

  const trace = () => receiver.spans.filter((span) => span.traceId === traceId);
  const find = (predicate: (span: ReceivedSpan) => boolean, what: string) => {
    const span = trace().find(predicate);
    if (!span)
      throw new Error(`no ${what} span in ${JSON.stringify(trace().map((s) => `${s.scope}:${s.name}`))}`);
    return span;
  };

  it('exports spans over OTLP/HTTP with the service name from OTEL_SERVICE_NAME', () => {
    expect(receiver.rejected).toEqual([]);
    expect(new Set(receiver.spans.map((span) => span.service))).toEqual(new Set(['traced-service']));
  });

  it('continues the caller’s trace: the http server span is a child of the incoming traceparent', () => {
    const server = find((s) => s.kind === SERVER, 'http server');
    expect(server.scope).toBe('@opentelemetry/instrumentation-http');
    expect(server.parentSpanId).toBe(callerSpanId);
    expect(server.attributes['http.route']).toBe('/work/:id');
  });

  it('links http, Fastify, pg, Redis and the BullMQ producer span of the request in one tree', () => {
    const byId = new Map(trace().map((span) => [span.spanId, span]));
    const server = find((s) => s.kind === SERVER, 'http server');
    const request = find((s) => s.scope === '@fastify/otel' && s.name === 'request', 'Fastify request');
    const handler = find(
      (s) => s.scope === '@fastify/otel' && s.name.startsWith('handler'),
      'Fastify handler',
    );
    const query = find(
      (s) => s.scope === '@opentelemetry/instrumentation-pg' && ancestors(s, byId).includes(handler),
      'pg query in the handler',
    );
    const set = find(
      (s) => s.scope === '@opentelemetry/instrumentation-ioredis' && s.name === 'set',
      'Redis SET',
    );
    const add = find((s) => s.scope === 'bullmq' && s.kind === PRODUCER, 'BullMQ add');

    expect(request.parentSpanId).toBe(server.spanId);
    expect(handler.parentSpanId).toBe(request.spanId);
    expect(query.parentSpanId).toBe(handler.spanId);
    expect(set.parentSpanId).toBe(handler.spanId);
    expect(add.parentSpanId).toBe(handler.spanId);
  });

  it('carries the trace through the job: the worker’s spans descend from the producer span', () => {
    const byId = new Map(trace().map((span) => [span.spanId, span]));
    const add = find((s) => s.scope === 'bullmq' && s.kind === PRODUCER, 'BullMQ add');
    const processSpan = find((s) => s.scope === 'bullmq' && s.kind === CONSUMER, 'BullMQ process');
    const jobQuery = find(
      (s) => s.scope === '@opentelemetry/instrumentation-pg' && ancestors(s, byId).includes(processSpan),
      'pg query in the job',
    );
    const incr = find(
      (s) => s.scope === '@opentelemetry/instrumentation-ioredis' && s.name === 'incr',
      'Redis INCR',
    );

    expect(processSpan.parentSpanId).toBe(add.spanId);
    expect(jobQuery.parentSpanId).toBe(processSpan.spanId);
    expect(incr.parentSpanId).toBe(processSpan.spanId);
  });

  it('leaves no span of the trace detached from the http server span', () => {
    const byId = new Map(trace().map((span) => [span.spanId, span]));
    const server = find((s) => s.kind === SERVER, 'http server');
    for (const span of trace().filter((s) => s !== server)) {
      expect(ancestors(span, byId), `${span.scope}:${span.name}`).toContain(server);
    }
  });

  it('writes trace_id and span_id on the pino lines logged inside the request and the job', () => {
    const spanIds = new Set(trace().map((span) => span.spanId));
    for (const msg of ['work accepted', 'job processed']) {
      const line = service.lines.find((l) => l.msg === msg);
      expect(line, msg).toMatchObject({ trace_id: traceId, trace_flags: '01' });
      expect(spanIds.has(String(line?.span_id)), `${msg}: span_id ${String(line?.span_id)}`).toBe(true);
    }
  });

  it('sends the same log records over OTLP with their trace context (for Loki)', async () => {
    const record = await waitFor(
      () =>
        receiver.logs.find(
          (log) => log.traceId === traceId && JSON.stringify(log.body).includes('job processed'),
        ),
      { what: 'the job log record over OTLP' },
    );
    expect(record.service).toBe('traced-service');
  });

  it('traces neither probe routes nor BullMQ housekeeping', () => {
    const names = receiver.spans.map((span) => span.name);
    expect(receiver.spans.filter((span) => span.attributes['http.route'] === '/health')).toEqual([]);
    expect(
      names.filter((name) => /^(startStalledCheckTimer|moveStalledJobsToWait|getNextJob) /.test(name)),
    ).toEqual([]);
    // Every span received belongs to the one request's trace.
    expect(new Set(receiver.spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
  });
});
