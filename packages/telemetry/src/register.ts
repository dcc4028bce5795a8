/**
 * The preload: `node --import @repo/telemetry/register dist/main.js` (or the same through
 * `NODE_OPTIONS=--import=@repo/telemetry/register`). With no OTLP endpoint configured it returns
 * after reading a few variables and loads no OpenTelemetry module at all.
 */
import { readTelemetryConfig } from './config.ts';

const config = readTelemetryConfig();

if (config.enabled) {
  const { startTelemetry } = await import('./sdk.ts');
  await startTelemetry(config);
}
