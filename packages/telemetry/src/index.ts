import { activeTelemetry } from './state.ts';

export { readTelemetryConfig, type TelemetryConfig } from './config.ts';
export { PROBE_PATHS } from './probes.ts';

/** Whether the preload started the SDK in this process. */
export function telemetryEnabled(): boolean {
  return activeTelemetry() !== undefined;
}

/**
 * Flushes the spans and log records still buffered and stops the SDK. Call it last in the
 * shutdown handler (after the server and workers closed), or the final seconds of telemetry are
 * lost with the process. A no-op while tracing is off.
 */
export async function shutdownTelemetry(): Promise<void> {
  await activeTelemetry()?.shutdown();
}
