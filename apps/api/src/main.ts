import { hostname } from 'node:os';
import { ConfigError } from '@repo/config';
import { createDatabase, createPool } from '@repo/db';
import { createLogger, createMetricsRegistry } from '@repo/observability';
import { createProducer, createRedis } from '@repo/queue';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
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

const logger = createLogger({ service: 'api', level: config.LOG_LEVEL });
const pool = createPool({
  connectionString: config.DATABASE_URL,
  applicationName: `api@${hostname()}`,
  max: config.DATABASE_POOL_MAX,
  statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
});
const redis = createRedis(config.REDIS_URL, 'producer', `api@${hostname()}`);
// ioredis reconnects by itself; log instead of crashing on the 'error' event.
redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
const producer = createProducer({ connection: redis, prefix: config.QUEUE_PREFIX });

const app = await buildApp({
  config,
  logger,
  pool,
  db: createDatabase(pool),
  redis,
  producer,
  metrics: createMetricsRegistry('api'),
});

app.addHook('onClose', async () => {
  await producer.close();
  redis.disconnect();
  await pool.end();
});

// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close connections, exit 0.
// If that takes longer than SHUTDOWN_TIMEOUT_MS, or a second signal arrives, exit at once.
closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an unexpected error');
  else logger.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ host: config.HOST, port: config.PORT });
