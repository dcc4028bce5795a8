import type { Telemetry } from 'bullmq';
import { activeTelemetry } from './state.ts';

/**
 * BullMQ's `telemetry` option for Queue and Worker (bullmq-otel): the producer's span context
 * travels inside the job, so the worker's span joins the request's trace. Undefined while tracing
 * is off, so BullMQ does no telemetry work at all: pass it as `telemetry: queueTelemetry()`.
 */
export function queueTelemetry(): Telemetry | undefined {
  return activeTelemetry()?.queue;
}
