import { hostname } from 'node:os';
import { databaseTls, objectStorageConfig } from '@repo/config';
import { createDatabase, createPool, type Database, type Pool } from '@repo/db';
import type { Logger } from '@repo/observability';
import { createRedis } from '@repo/queue';
import { createObjectStorage, type ObjectStorage } from '@repo/storage';
import type { RedisConnections } from './app.ts';
import type { TaskRunnerConfig } from './config.ts';
import { within } from './support/time-bounds.ts';

export interface Connections {
  pool: Pool;
  db: Database;
  redis: RedisConnections;
  /** Uploaded files; undefined without S3_BUCKET (text documents only). */
  storage: ObjectStorage | undefined;
  /** Closes everything, never waiting long on a server that does not answer. */
  close(): Promise<void>;
}

/**
 * Every connection of the process, created (not yet connected: pg connects lazily, ioredis in
 * the background, the S3 client on its first request) in one place. The leader lock and the migrator open sessions of their own.
 */
export function openConnections(
  config: TaskRunnerConfig,
  logger: Logger,
  name = `task-runner@${hostname()}`,
): Connections {
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    tls: databaseTls(config),
    applicationName: name,
    max: config.DATABASE_POOL_MAX,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
  });
  const redis: RedisConnections = {
    worker: createRedis(config.REDIS_URL, 'worker', name),
    queue: createRedis(config.REDIS_URL, 'producer', `${name}:queues`),
    // Worker role: a subscription waits for Redis and ioredis re-subscribes after a reconnect.
    subscriber: createRedis(config.REDIS_URL, 'worker', `${name}:cancellations`),
  };
  const all = [redis.worker, redis.queue, redis.subscriber];
  let reported = false;
  for (const connection of all) {
    connection.on('error', (error) => {
      // One line per outage, not one per reconnect attempt of each connection.
      if (!reported) logger.warn({ err: error }, 'redis connection error; reconnecting');
      reported = true;
    });
    connection.on('ready', () => {
      reported = false;
    });
  }

  const storageConfig = objectStorageConfig(config);
  const storage = storageConfig ? createObjectStorage(storageConfig) : undefined;

  return {
    pool,
    db: createDatabase(pool),
    redis,
    storage,
    async close() {
      storage?.close();
      // disconnect(), not quit(): quit waits for an answer that never comes when Redis is down,
      // and a reconnecting client would keep the event loop alive.
      for (const connection of all) connection.disconnect();
      // A run abandoned by the shutdown may still hold a pooled client; exiting ends its session.
      await within(pool.end(), 500);
    },
  };
}
