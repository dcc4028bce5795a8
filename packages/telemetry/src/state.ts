import type { Telemetry } from 'bullmq';

/**
 * The running SDK, shared between the preloaded `register` module and the application's own
 * imports of `@repo/telemetry`. A global slot rather than a module variable: the two imports may
 * resolve to different copies (sources in development, dist in the images) and must still agree.
 * Holding the BullMQ integration here also keeps `bullmq-otel` (and with it the OpenTelemetry
 * API) out of a process whose tracing is off.
 */
export interface ActiveTelemetry {
  shutdown(): Promise<void>;
  queue: Telemetry;
}

const SLOT = Symbol.for('@repo/telemetry.active');

type Slot = { [SLOT]?: ActiveTelemetry };

export function setActiveTelemetry(active: ActiveTelemetry): void {
  (globalThis as Slot)[SLOT] = active;
}

export function activeTelemetry(): ActiveTelemetry | undefined {
  return (globalThis as Slot)[SLOT];
}
