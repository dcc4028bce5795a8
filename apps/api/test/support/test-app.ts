import { databaseTls, objectStorageConfig } from '@repo/config';
import { createDatabase, createPool, runMigrations, type Database, type Pool } from '@repo/db';
import { createLogger, createMetricsRegistry, type Logger } from '@repo/observability';
import { createProducer, createRedis, type Producer, type Redis } from '@repo/queue';
import { createObjectStorage, type ObjectStorage } from '@repo/storage';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { inject } from 'vitest';
import { buildApp, type App, type AppDependencies } from '../../src/app.ts';
import { signAccessToken } from '../../src/auth/access-tokens.ts';
import { loadConfig, type ApiConfig } from '../../src/config.ts';
import { buildMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server.ts';
import type { EmbedQuery } from '../../src/search/search-service.ts';

/** 48 bytes: what production would accept, so tests run with realistic secrets. */
export const TEST_JWT_SECRET = 'test-jwt-secret-'.padEnd(48, 'j');
export const TEST_SERVICE_TOKEN = 'test-service-token-'.padEnd(48, 's');

export interface TestApp {
  app: App;
  config: ApiConfig;
  db: Database;
  pool: Pool;
  redis: Redis;
  producer: Producer;
  /** The api's object storage client, when the env configures one (S3_BUCKET: `createTestBucket`). */
  storage: ObjectStorage | undefined;
  database: TestDatabase;
  /** What METRICS_PORT serves, built by the production factory on the app's registry. */
  metricsServer: MetricsServer;
  prefix: string;
  /**
   * The environment of an api process (the CLI, `src/main.ts`) spawned on this app's database,
   * Redis and queue prefix; a test adds what it needs.
   */
  processEnv: Record<string, string | undefined>;
  /** `Authorization` header of a user token for `owner` (valid for an hour unless told otherwise). */
  auth(owner: string, options?: { expiresInSeconds?: number }): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export const silentLogger: Logger = createLogger({
  service: 'api-test',
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
});

export interface TestAppOptions {
  migrate?: boolean;
  databaseUrl?: (url: string) => string;
  redisUrl?: string;
  /** Environment variables on top of the test defaults, parsed by the real `loadConfig`. */
  env?: Record<string, string>;
  /** Share a queue/rate-limit prefix with another test app (two replicas of one stack). */
  prefix?: string;
  embedQuery?: EmbedQuery;
  /** Told how each route's responses are serialized (buildApp's `onResponseSerializer`). */
  onResponseSerializer?: AppDependencies['onResponseSerializer'];
  /** A database prepared by the caller (shared with another service); the caller drops it. */
  database?: TestDatabase;
  /** The app's logger (default: silent); a test that reads log lines passes its own. */
  logger?: Logger;
  /** The pool's connect timeout (default 5 s: a loaded CI machine can take a second to connect). */
  connectTimeoutMs?: number;
}

/**
 * The api as a test sees it: built by the same factory as production, from a configuration
 * parsed by the same `loadConfig`, on a database of its own (migrated unless `migrate: false`)
 * and a queue prefix of its own. `databaseUrl`/`redisUrl` replace the Postgres/Redis addresses,
 * e.g. with a TcpProxy to simulate outages.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.database;
  const database = shared ?? (await createTestDatabase(inject('databaseUrl'), 'api'));
  if (!shared && (options.migrate ?? true)) {
    await runMigrations({ connectionString: database.url, tls: { mode: 'disable' }, logger: silentLogger });
  }
  const prefix = options.prefix ?? uniqueId('api-test');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
    REDIS_URL: options.redisUrl ?? inject('redisUrl'),
    QUEUE_PREFIX: prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    SERVICE_AUTH_TOKEN: TEST_SERVICE_TOKEN,
    BODY_LIMIT_BYTES: String(64 * 1024),
    // High enough that no test but the rate-limit ones ever meets it.
    RATE_LIMIT_MAX: '100000',
    // Likewise for load shedding: on a 2-core machine running the whole suite, the event loop of
    // a test process can stall for over a second. The hardening tests set their own thresholds.
    UNDER_PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '30000',
    ...options.env,
  });
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    tls: databaseTls(config),
    applicationName: 'api-test',
    max: 5,
    statementTimeoutMs: 5_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    onError: () => {},
  });
  const redis = createRedis(config.REDIS_URL, 'producer', 'api-test');
  redis.on('error', () => {});
  await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  const producer = createProducer({ connection: redis, prefix });
  const db = createDatabase(pool);
  const storageConfig = objectStorageConfig(config);
  const storage = storageConfig
    ? createObjectStorage({ ...storageConfig, connectTimeoutMs: 1_000 })
    : undefined;
  const metrics = createMetricsRegistry('api', { defaultMetrics: false });
  const app = await buildApp({
    config,
    logger: options.logger ?? silentLogger,
    pool,
    db,
    redis,
    producer,
    storage,
    metrics,
    ...(options.embedQuery ? { embedQuery: options.embedQuery } : {}),
    ...(options.onResponseSerializer ? { onResponseSerializer: options.onResponseSerializer } : {}),
  });
  await app.ready();
  const metricsServer = buildMetricsServer({ registry: metrics, logger: silentLogger });
  return {
    app,
    config,
    db,
    pool,
    redis,
    producer,
    storage,
    database,
    metricsServer,
    prefix,
    processEnv: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: config.REDIS_URL,
      QUEUE_PREFIX: prefix,
    },
    async auth(owner, { expiresInSeconds } = {}) {
      const token = await signAccessToken({
        secret: TEST_JWT_SECRET,
        subject: owner,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
      });
      return { authorization: `Bearer ${token}` };
    },
    async close() {
      await metricsServer.close();
      await app.close();
      storage?.close();
      await producer.close();
      redis.disconnect();
      await pool.end();
      if (!shared) await database.drop();
    },
  };
}
