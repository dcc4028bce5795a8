import { createDatabase, createPool, runMigrations, type Database, type Pool } from '@repo/db';
import { createLogger, createMetricsRegistry, type Logger } from '@repo/observability';
import { createProducer, createRedis, type Producer, type Redis } from '@repo/queue';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { inject } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';

export interface TestApp {
  app: App;
  db: Database;
  pool: Pool;
  redis: Redis;
  producer: Producer;
  database: TestDatabase;
  prefix: string;
  close(): Promise<void>;
}

export const silentLogger: Logger = createLogger({
  service: 'api-test',
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
});

/**
 * The api as a test sees it: built by the same factory as production, on a database of its own
 * (migrated unless `migrate: false`) and a queue prefix of its own. `urls` replaces the
 * Postgres/Redis addresses, e.g. with a TcpProxy to simulate outages.
 */
export async function createTestApp(
  options: {
    migrate?: boolean;
    databaseUrl?: (url: string) => string;
    redisUrl?: string;
    bodyLimit?: number;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(inject('databaseUrl'), 'api');
  if (options.migrate ?? true) await runMigrations({ connectionString: database.url, logger: silentLogger });
  const pool = createPool({
    connectionString: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
    applicationName: 'api-test',
    max: 5,
    statementTimeoutMs: 5_000,
    connectTimeoutMs: 1_000,
    onError: () => {},
  });
  const redis = createRedis(options.redisUrl ?? inject('redisUrl'), 'producer', 'api-test');
  redis.on('error', () => {});
  await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  const prefix = uniqueId('api-test');
  const producer = createProducer({ connection: redis, prefix });
  const db = createDatabase(pool);
  const app = await buildApp({
    config: { BODY_LIMIT_BYTES: options.bodyLimit ?? 64 * 1024 },
    logger: silentLogger,
    pool,
    db,
    redis,
    producer,
    metrics: createMetricsRegistry('api', { defaultMetrics: false }),
  });
  await app.ready();
  return {
    app,
    db,
    pool,
    redis,
    producer,
    database,
    prefix,
    async close() {
      await app.close();
      await producer.close();
      redis.disconnect();
      await pool.end();
      await database.drop();
    },
  };
}
