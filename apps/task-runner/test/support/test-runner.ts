import { documents, tasks } from '@repo/db';
import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@repo/observability';
import { createProducer, type Producer } from '@repo/queue';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { inject } from 'vitest';
import { createTaskRunner, type TaskRunner, type TaskRunnerDependencies } from '../../src/app.ts';
import { loadConfig, type TaskRunnerConfig } from '../../src/config.ts';
import { openConnections, type Connections } from '../../src/connections.ts';

export const silentLogger: Logger = createLogger({
  service: 'task-runner-test',
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
});

export interface TestRunner {
  runner: TaskRunner;
  config: TaskRunnerConfig;
  connections: Connections;
  db: Connections['db'];
  metrics: Registry;
  /** Enqueues contract jobs the way the api does (own connection, like a separate process). */
  producer: Producer;
  database: TestDatabase;
  /** Starts the runner and waits until it leads with its workers running. */
  startLeading(): Promise<void>;
  /** Inserts a document and its task the way the api does, and enqueues its job. */
  submitDocument(content: string): Promise<{ documentId: string; taskId: string }>;
  close(): Promise<void>;
}

export interface TestRunnerOptions {
  env?: Record<string, string>;
  jobs?: TaskRunnerDependencies['jobs'];
  /** Share a database (and pass QUEUE_PREFIX in env) to run several runners on one stack. */
  database?: TestDatabase;
}

/** A task-runner on a fresh database and queue prefix, configured through its real config parser. */
export async function createTestRunner(options: TestRunnerOptions = {}): Promise<TestRunner> {
  const ownsDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase(inject('databaseUrl'), 'runner'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: uniqueId('runner-test'),
    SHUTDOWN_TIMEOUT_MS: '5000',
    LEADER_POLL_MS: '250',
    DATABASE_POOL_MAX: '5',
    ...options.env,
  });
  const connections = openConnections(config, silentLogger, 'runner-test');
  const metrics = createMetricsRegistry('task-runner', { defaultMetrics: false });
  const runner = createTaskRunner({
    config,
    logger: silentLogger,
    db: connections.db,
    redis: connections.redis,
    metrics,
    jobs: options.jobs,
  });
  const producerConnections = openConnections(config, silentLogger, 'runner-test-producer');
  const producer = createProducer({
    connection: producerConnections.redis.queue,
    prefix: config.QUEUE_PREFIX,
  });
  await waitFor(() => producerConnections.redis.queue.status === 'ready', { what: 'redis connection' });
  const db = connections.db;

  return {
    runner,
    config,
    connections,
    db,
    metrics,
    producer,
    database,
    async startLeading() {
      await runner.start();
      await waitFor(() => runner.status().phase === 'running' && runner.status().ready, {
        what: 'runner leading with its workers running',
      });
    },
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
      await producerConnections.close();
      await connections.close();
      if (ownsDatabase) await database.drop();
    },
  };
}
