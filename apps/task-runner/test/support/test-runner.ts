import { createDatabase, createPool, documents, tasks, type Database, type Pool } from '@repo/db';
import { createLogger, type Logger } from '@repo/observability';
import { createProducer, createRedis, type Producer, type Redis } from '@repo/queue';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { inject } from 'vitest';
import { createTaskRunner, type TaskRunner } from '../../src/app.ts';
import { loadConfig, type TaskRunnerConfig } from '../../src/config.ts';

export const silentLogger: Logger = createLogger({
  service: 'task-runner-test',
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
});

export interface TestRunner {
  runner: TaskRunner;
  config: TaskRunnerConfig;
  db: Database;
  pool: Pool;
  producer: Producer;
  database: TestDatabase;
  /** Inserts a document and its task the way the api does, and enqueues its job. */
  submitDocument(content: string): Promise<{ documentId: string; taskId: string }>;
  close(): Promise<void>;
}

/** A task-runner on a fresh database and queue prefix, configured through its real config parser. */
export async function createTestRunner(env: Record<string, string> = {}): Promise<TestRunner> {
  const database = await createTestDatabase(inject('databaseUrl'), 'runner');
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: uniqueId('runner-test'),
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
  const pool = createPool({
    connectionString: database.url,
    applicationName: 'runner-test',
    max: 5,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    onError: () => {},
  });
  const db = createDatabase(pool);
  const workerRedis = createRedis(config.REDIS_URL, 'worker', 'runner-test');
  const producerRedis: Redis = createRedis(config.REDIS_URL, 'producer', 'runner-test-producer');
  await waitFor(() => producerRedis.status === 'ready', { what: 'redis connection' });
  const producer = createProducer({ connection: producerRedis, prefix: config.QUEUE_PREFIX });
  const runner = createTaskRunner({ config, logger: silentLogger, db, redis: workerRedis });

  return {
    runner,
    config,
    db,
    pool,
    producer,
    database,
    async submitDocument(content) {
      const [document] = await db
        .insert(documents)
        .values({ ownerId: 'owner', title: 'test', content, contentHash: 'h' })
        .returning();
      const [task] = await db
        .insert(tasks)
        .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId: document!.id } })
        .returning();
      await producer.enqueue(
        'ingest-document',
        { taskId: task!.id, documentId: document!.id },
        { jobId: task!.id },
      );
      return { documentId: document!.id, taskId: task!.id };
    },
    async close() {
      await runner.stop();
      await producer.close();
      producerRedis.disconnect();
      workerRedis.disconnect();
      await pool.end();
      await database.drop();
    },
  };
}
