import { hostname } from 'node:os';
import { ConfigError } from '@repo/config';
import { createLogger, createMetricsRegistry } from '@repo/observability';
import { RedisRequirementError } from '@repo/queue';
import { shutdownTelemetry } from '@repo/telemetry';
import { queueTelemetry } from '@repo/telemetry/queue';
import closeWithGrace from 'close-with-grace';
import { createTaskRunner } from './app.ts';
import { loadConfig, type TaskRunnerConfig } from './config.ts';
import { openConnections } from './connections.ts';
import { buildHealthServer } from './health/health-server.ts';
import { within } from './support/time-bounds.ts';

// Process wiring only: config → connections → health port → runner (checks → leadership →
// migrations → job schedulers → workers); signals and exit codes.

let config: TaskRunnerConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`task-runner: refusing to start.\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger({ service: 'task-runner', level: config.LOG_LEVEL });
const connections = openConnections(config, logger);
const metrics = createMetricsRegistry('task-runner');
const runner = createTaskRunner({
  config,
  logger,
  db: connections.db,
  redis: connections.redis,
  metrics,
  // Undefined while tracing is off; otherwise each job runs in the trace of whoever queued it.
  telemetry: queueTelemetry(),
  onFatal: (error) => void exit(1, error),
  // Which replica ran a job, on the job itself: the container's hostname, and the pid for
  // several processes on one host.
  instanceName: `${hostname()}/${process.pid}`,
});
const health = await buildHealthServer({
  status: () => runner.status(),
  metrics,
  logger,
  boardQueues: config.NODE_ENV === 'production' ? undefined : runner.queues(),
});

let closing: Promise<void> | undefined;
/** Drains the runner within its budget, releases leadership, closes every connection. Idempotent. */
function shutdown(): Promise<void> {
  closing ??= (async () => {
    const started = performance.now();
    await runner.stop();
    const runnerMs = Math.round(performance.now() - started);
    await within(health.close(), 1_000);
    await connections.close();
    logger.info({ runnerMs, totalMs: Math.round(performance.now() - started) }, 'task-runner stopped');
    // Last, so the final jobs' spans and log records (this line's too) reach the collector; one
    // that does not answer costs at most 2 s (a no-op while tracing is off).
    if (!(await within(shutdownTelemetry(), 2_000))) logger.warn('telemetry flush timed out');
  })();
  return closing;
}

async function exit(code: number, error: unknown): Promise<never> {
  logger.fatal({ err: error }, 'task-runner cannot continue');
  await shutdown();
  process.exit(code);
}

// The budget timers live in runner.stop(); close-with-grace's delay is a last-resort backstop
// above it (exit 1), and a second signal exits at once. After `shutdown` it exits 0 itself, so
// nothing left behind (a reconnecting client, a stuck close) can keep the process alive.
closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS + 5_000, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an unexpected error');
  else logger.info({ signal }, 'shutting down');
  await shutdown();
});

await health.listen({ host: config.HOST, port: config.HEALTH_PORT });
try {
  await runner.start();
} catch (error) {
  if (error instanceof RedisRequirementError) {
    process.stderr.write(`task-runner: refusing to start.\n${error.message}\n`);
  }
  await exit(1, error);
}
