import type { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { PROBE_PATHS } from './probes.ts';

function isProbe(request: IncomingMessage): boolean {
  const path = (request.url ?? '').split('?', 1)[0] ?? '';
  return PROBE_PATHS.has(path);
}

/** Fastify routes flagged `config: { probe: true }`, the repository's marker for probe routes. */
function isProbeRoute(route: { url: string }): boolean {
  const config = (route as { config?: { probe?: unknown } }).config;
  return config?.probe === true || PROBE_PATHS.has(route.url);
}

/**
 * Only what the services use, instead of the 40-odd packages of auto-instrumentations-node:
 * fewer modules hooked at start-up, and each choice visible here.
 */
export function createInstrumentations() {
  return [
    // Incoming and outgoing `node:http` (Fastify's server, the OTLP exporter excluded by the SDK).
    new HttpInstrumentation({ ignoreIncomingRequestHook: isProbe }),
    // `fetch` (Node's undici): calls to the agent service and to model providers.
    new UndiciInstrumentation(),
    // A query outside any request or job (migrations, pool health) is not a trace of its own.
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    // BullMQ polls Redis continuously; only commands inside a request or a job are traced.
    new IORedisInstrumentation({ requireParentSpan: true }),
    // trace_id / span_id / trace_flags on every pino line written inside a span, and the log
    // records sent over OTLP (to Loki through the collector) while the SDK runs.
    new PinoInstrumentation(),
    // Fastify's own spans (route, hooks, handler), attached to every Fastify instance created
    // after start-up through the `fastify.initialization` diagnostics channel: apps register
    // nothing themselves.
    new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: isProbeRoute }),
  ];
}
