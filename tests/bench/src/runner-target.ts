import { createDatabase, createPool, documents, tasks, type Database, type Pool } from '@repo/db';
import { createProducer, createRedis, type Producer } from '@repo/queue';
import { createTestDatabase, freePort, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import type { Queue } from 'bullmq';
import { loadConfig, type TaskRunnerConfig } from '../../../apps/task-runner/src/config.ts';
import { PROD_NODE_OPTIONS, startApp, type ServiceProcess } from './processes.ts';

export interface SubmittedDocument {
  documentId: string;
  taskId: string;
}

/** The task-runner as its image runs it, on a database and queue prefix of its own. */
export interface RunnerTarget {
  /** The configuration the process runs with: its production defaults (pool, concurrency, locks). */
  config: TaskRunnerConfig;
  service: ServiceProcess;
  database: TestDatabase;
  redisUrl: string;
  /** Its QUEUE_PREFIX: an api enqueueing for this runner must use the same. */
  prefix: string;
  /** A pool of the benchmark's own, for the rows the api would write and the checks after. */
  db: Database;
  pool: Pool;
  producer: Producer;
  /** The ingest-document queue. */
  queue: Queue;
  /** Documents and their tasks, as the api stores them (not enqueued). */
  insertDocuments(count: number, content: string): Promise<SubmittedDocument[]>;
  /** Their jobs, as the api enqueues them (job id = task id). */
  enqueue(submitted: readonly SubmittedDocument[]): Promise<void>;
  close(): Promise<void>;
}

export interface RunnerTargetOptions {
  serverUrl: string;
  redisUrl: string;
  /** Its log file goes here: every info line, as a log collector would read stdout. */
  logDir: string;
  /** Load the profiler preload (ServiceProcess.toggleProfile), profiles written here. */
  profileDir?: string;
  /** More of its environment (object storage for the upload row: S3_*). */
  env?: Record<string, string>;
}

/** Runs `work` for each item, `parallel` at a time. */
export async function eachParallel<T>(
  items: readonly T[],
  parallel: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Starts the task-runner's `dist/main.js` as its image does (`startApp`), with nothing but its
 * connections set, so every other setting is the production default, and waits until it leads
 * with its workers running (`/ready`: it applied the migrations first).
 */
export async function startRunnerTarget(options: RunnerTargetOptions): Promise<RunnerTarget> {
  const database = await createTestDatabase(options.serverUrl, 'bench_runner', { privateRole: true });
  const prefix = uniqueId('bench-runner');
  const port = await freePort();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: prefix,
    HEALTH_PORT: String(port),
    ...options.env,
  };
  const config = loadConfig({ NODE_ENV: 'production', NODE_OPTIONS: PROD_NODE_OPTIONS, ...env });
  const pool = createPool({
    connectionString: database.url,
    applicationName: 'bench-producer',
    max: 8,
    statementTimeoutMs: 30_000,
    connectTimeoutMs: 2_000,
    // The test Postgres of compose.yaml speaks plain TCP on loopback, as the apps' default does.
    tls: { mode: 'disable' },
    onError: () => {},
  });
  const redis = createRedis(options.redisUrl, 'producer', 'bench-runner-producer');
  redis.on('error', () => {});
  let service: ServiceProcess;
  try {
    service = await startApp('task-runner', {
      env,
      port,
      readyPath: '/ready',
      logDir: options.logDir,
      ...(options.profileDir ? { profileDir: options.profileDir } : {}),
    });
    await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  } catch (error) {
    redis.disconnect();
    await pool.end();
    await database.drop();
    throw error;
  }
  const db = createDatabase(pool);
  const producer = createProducer({ connection: redis, prefix });
  const queue = await producer.queue('ingest-document');

  return {
    config,
    service,
    database,
    redisUrl: options.redisUrl,
    prefix,
    db,
    pool,
    producer,
    queue,
    async insertDocuments(count, content) {
      const submitted: SubmittedDocument[] = [];
      // Batches of 100: one statement each for the documents and their tasks.
      for (let start = 0; start < count; start += 100) {
        const size = Math.min(100, count - start);
        const stored = await db.transaction(async (tx) => {
          const docs = await tx
            .insert(documents)
            .values(
              Array.from({ length: size }, () => ({
                ownerId: 'bench',
                title: 'bench',
                content,
                contentHash: 'h',
              })),
            )
            .returning({ id: documents.id });
          const made = await tx
            .insert(tasks)
            .values(
              docs.map(({ id }) => ({
                ownerId: 'bench',
                type: 'ingest-document',
                input: { documentId: id },
              })),
            )
            .returning({ id: tasks.id });
          return docs.map(({ id }, i) => ({ documentId: id, taskId: made[i]!.id }));
        });
        submitted.push(...stored);
      }
      return submitted;
    },
    async enqueue(submitted) {
      await eachParallel(submitted, 8, ({ documentId, taskId }) =>
        producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId }),
      );
    },
    async close() {
      await service.stop();
      await queue.obliterate({ force: true }).catch(() => {});
      await producer.close();
      redis.disconnect();
      await pool.end();
      await database.drop();
    },
  };
}
