import { hostname } from 'node:os';
import { ConfigError } from '@repo/config';
import { createDatabase, createPool } from '@repo/db';
import { createLogger, createMetricsRegistry } from '@repo/observability';
import { createRedis } from '@repo/queue';
import closeWithGrace from 'close-with-grace';
import { createTaskRunner } from './app.ts';
import { loadConfig, type TaskRunnerConfig } from './config.ts';
import { buildHealthServer } from './health/health-server.ts';

// Process wiring only: config → connections → health port → migrations → workers; signals.

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
const pool = createPool({
  connectionString: config.DATABASE_URL,
  applicationName: `task-runner@${hostname()}`,
  max: config.DATABASE_POOL_MAX,
  statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
});
const redis = createRedis(config.REDIS_URL, 'worker', `task-runner@${hostname()}`);
redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));

const runner = createTaskRunner({ config, logger, db: createDatabase(pool), redis });
const health = buildHealthServer({
  status: () => runner.status(),
  metrics: createMetricsRegistry('task-runner'),
  logger,
});

// The budget timer lives in runner.stop(); close-with-grace's delay is a last-resort backstop
// slightly above it, and a second signal exits at once.
closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS + 5_000, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an unexpected error');
  else logger.info({ signal }, 'shutting down');
  await runner.stop();
  await health.close();
  redis.disconnect();
  await pool.end();
});

await health.listen({ host: '0.0.0.0', port: config.HEALTH_PORT });
try {
  await runner.start();
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  process.exit(1);
}
