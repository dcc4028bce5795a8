import { register } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BullMQOtel } from 'bullmq-otel';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import type { TelemetryConfig } from './config.ts';
import { createInstrumentations } from './instrumentations.ts';
import { createSampler } from './sampler.ts';
import { setActiveTelemetry } from './state.ts';

/**
 * Starts the OpenTelemetry SDK. Must run before the application imports what it instruments
 * (`node --import @repo/telemetry/register`), which is why it is a preload and not a library call.
 */
export async function startTelemetry(config: TelemetryConfig): Promise<void> {
  // The services are ES modules: their `import pg from 'pg'` never goes through `require`, so the
  // instrumentations also need the ESM loader hook. The message channel limits the hook to the
  // modules an instrumentation asked for, instead of wrapping every module the app loads.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const sdk = new NodeSDK({
    instrumentations: createInstrumentations(),
    sampler: createSampler(config),
    // Metrics are scraped from prom-client; OTLP metrics only when asked for explicitly.
    ...(config.otelMetrics ? {} : { metricReaders: [] }),
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  setActiveTelemetry({ shutdown: () => sdk.shutdown(), queue: new BullMQOtel({ tracerName: 'bullmq' }) });
}
