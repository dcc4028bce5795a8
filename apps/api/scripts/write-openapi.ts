/**
 * Writes the OpenAPI document of the api to the repository's openapi.json:
 *   pnpm --filter @repo/api openapi
 * The app is built exactly as in production, on dependencies that never connect (generating the
 * document needs no database or Redis). test/openapi.test.ts fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { createDatabase, createPool } from '@repo/db';
import { createLogger, createMetricsRegistry } from '@repo/observability';
import { createProducer, Redis } from '@repo/queue';
import { format, resolveConfig } from 'prettier';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { OPENAPI_PATH, openApiDocument } from '../src/openapi-document.ts';

const config = loadConfig({
  // Development: the app signs with the public development secret, which the document never needs.
  NODE_ENV: 'development',
  DATABASE_URL: 'postgres://openapi@127.0.0.1:9/unused',
  REDIS_URL: 'redis://127.0.0.1:9',
});
const pool = createPool({
  connectionString: config.DATABASE_URL,
  tls: { mode: 'disable' },
  applicationName: 'openapi',
  max: 1,
  statementTimeoutMs: 1_000,
  connectTimeoutMs: 1_000,
  onError: () => {},
});
const redis = new Redis(config.REDIS_URL, { lazyConnect: true });
const producer = createProducer({ connection: redis, prefix: config.QUEUE_PREFIX });
const app = await buildApp({
  config,
  logger: createLogger({ service: 'openapi', level: 'warn' }),
  pool,
  db: createDatabase(pool),
  redis,
  producer,
  metrics: createMetricsRegistry('api', { defaultMetrics: false }),
});
const document = await openApiDocument(app);
await app.close();
await producer.close();
redis.disconnect();
await pool.end();

const text = await format(JSON.stringify(document), {
  ...(await resolveConfig(OPENAPI_PATH)),
  filepath: OPENAPI_PATH,
});
writeFileSync(OPENAPI_PATH, text);
process.stdout.write(`wrote ${OPENAPI_PATH} (${Object.keys(document.paths ?? {}).length} paths)\n`);
