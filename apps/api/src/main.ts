import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@repo/config';
import { shutdownTelemetry } from '@repo/telemetry';
import closeWithGrace from 'close-with-grace';
import { loadConfig, type ApiConfig } from './config.ts';

// Process wiring only: read the config, open connections, build the app, listen, handle signals.

let config: ApiConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`api: refusing to start.\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

// Loaded only once the configuration is sound: a refused start-up (weak secret, wildcard CORS)
// answers in a fraction of a second instead of after loading every dependency.
const { createServer } = await import('./server.ts');
const { app, metricsServer, logger } = await createServer(config);

// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close connections, exit 0.
// If that takes longer than SHUTDOWN_TIMEOUT_MS, or a second signal arrives, exit at once.
closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an unexpected error');
  else logger.info({ signal }, 'shutting down');
  await app.close();
  // Last: the spans and log records of the final requests, flushed to the collector. A collector
  // that does not answer costs at most 2 s of the budget (a no-op while tracing is off).
  await Promise.race([
    shutdownTelemetry().catch((error: unknown) => logger.warn({ err: error }, 'telemetry flush failed')),
    sleep(2_000, undefined, { ref: false }),
  ]);
});

await app.listen({ host: config.HOST, port: config.PORT });
// Prometheus scrapes this port on the private network; the load balancer never routes to it.
await metricsServer.listen({ host: config.HOST, port: config.METRICS_PORT });
