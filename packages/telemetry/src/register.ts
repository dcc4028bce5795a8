/**
 * The preload: `node --import @repo/telemetry/register dist/main.js` (or the same through
 * `NODE_OPTIONS=--import=@repo/telemetry/register`). With no OTLP endpoint configured it loads no
 * OpenTelemetry module at all.
 */
import { readTelemetryConfig } from './config.ts';
import { resolveRelativeImportsFast } from './relative-imports.ts';

const config = readTelemetryConfig();

if (config.enabled) {
  const { startTelemetry } = await import('./sdk.ts');
  await startTelemetry(config);
} else {
  // Runs before the app's modules load, like the SDK's loader hook; and only without it: hooks
  // registered in the thread run before import-in-the-middle's, and one that answers ends the
  // chain, so with tracing on every import goes through the SDK's hook as usual.
  resolveRelativeImportsFast();
}
