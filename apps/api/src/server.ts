import { hostname } from 'node:os';
import { databaseTls, objectStorageConfig } from '@repo/config';
import { createDatabase, createPool } from '@repo/db';
import { createLogger, createMetricsRegistry, type Logger } from '@repo/observability';
import { createProducer, createRedis, importBullmq } from '@repo/queue';
import { createObjectStorage, importS3Client } from '@repo/storage';
import { queueTelemetry } from '@repo/telemetry/queue';
import { buildApp, type App } from './app.ts';
import type { ApiConfig } from './config.ts';
import { buildMetricsServer, type MetricsServer } from './metrics/metrics-server.ts';
import { warmUpAfterListen } from './startup/deferred.ts';

/**
 * Opens the connections a running api needs and builds the app (and its metrics server) on them;
 * closing the app closes them all. main.ts calls it once the configuration is known to be sound,
 * then listens on PORT and METRICS_PORT.
 */
export async function createServer(
  config: ApiConfig,
): Promise<{ app: App; metricsServer: MetricsServer; logger: Logger }> {
  const logger = createLogger({ service: 'api', level: config.LOG_LEVEL });
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    tls: databaseTls(config),
    applicationName: `api@${hostname()}`,
    max: config.DATABASE_POOL_MAX,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
  });
  const redis = createRedis(config.REDIS_URL, 'producer', `api@${hostname()}`);
  // ioredis reconnects by itself; log instead of crashing on the 'error' event.
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  // With tracing on, a job carries the trace of the request that queued it to the task-runner.
  const producer = createProducer({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    telemetry: queueTelemetry(),
  });

  const storageConfig = objectStorageConfig(config);
  const storage = storageConfig ? createObjectStorage(storageConfig) : undefined;

  const metrics = createMetricsRegistry('api');
  const app = await buildApp({
    config,
    logger,
    pool,
    db: createDatabase(pool),
    redis,
    producer,
    storage,
    metrics,
  });
  // BullMQ and the S3 client are imported once this replica listens (or by the first request that
  // needs one): start-up does not wait for them (startup/deferred.ts).
  warmUpAfterListen(app, 'bullmq', importBullmq);
  if (storage) warmUpAfterListen(app, 'object storage', importS3Client);
  const metricsServer = buildMetricsServer({ registry: metrics, logger });
  app.addHook('onClose', async () => {
    await metricsServer.close();
    storage?.close();
    await producer.close();
    redis.disconnect();
    await pool.end();
  });
  return { app, metricsServer, logger };
}
