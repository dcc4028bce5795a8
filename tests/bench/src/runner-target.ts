import { join } from 'node:path';
import { createDatabase, createPool, documents, tasks, type Database, type Pool } from '@repo/db';
import { createProducer, createRedis, type Producer } from '@repo/queue';
import { createTestDatabase, freePort, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import type { Queue } from 'bullmq';
import { loadConfig, type TaskRunnerConfig } from '../../../apps/task-runner/src/config.ts';
import { PRODUCTION_ENV, startAppProcess, type AppExit, type AppProcess } from './app-process.ts';

export interface SubmittedDocument {
  documentId: string;
  taskId: string;
}

/** The task-runner as its image runs it, on a database and queue prefix of its own. */
export interface RunnerTarget {
  /** The configuration the process runs with: its production defaults (pool, concurrency, locks). */
  config: TaskRunnerConfig;
  database: TestDatabase;
  redisUrl: string;
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
  /** Stops the process (SIGTERM: it drains, releases its lock, exits) and reports how it ended. */
  stop(): Promise<AppExit>;
  /** What the process wrote to stderr. */
  stderr(): string;
  close(): Promise<void>;
}

export interface RunnerTargetOptions {
  serverUrl: string;
  redisUrl: string;
  /** Its stdout: every info log line, as a log collector would read it. */
  logDir: string;
  cpuProfileDir?: string;
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
 * Starts `node dist/main.js` of the task-runner (see startAppProcess) with nothing but its
 * connections set, so every other setting is the production default, and waits until it leads
 * with its workers running (it applies the migrations first).
 */
export async function startRunnerTarget(options: RunnerTargetOptions): Promise<RunnerTarget> {
  const database = await createTestDatabase(options.serverUrl, 'bench_runner');
  const prefix = uniqueId('bench-runner');
  const port = await freePort();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: prefix,
    HEALTH_PORT: String(port),
  };
  const config = loadConfig({ ...PRODUCTION_ENV, ...env });
  let child: AppProcess | undefined;
  const pool = createPool({
    connectionString: database.url,
    applicationName: 'bench-producer',
    max: 8,
    statementTimeoutMs: 30_000,
    connectTimeoutMs: 2_000,
    onError: () => {},
  });
  const redis = createRedis(options.redisUrl, 'producer', 'bench-runner-producer');
  redis.on('error', () => {});
  try {
    child = await startAppProcess({
      app: 'task-runner',
      env,
      readyUrl: `http://127.0.0.1:${port}/ready`,
      logFile: join(options.logDir, 'task-runner.log'),
      cpuProfileDir: options.cpuProfileDir,
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
  const queue = producer.queue('ingest-document');
  const running = child;
  let exit: Promise<AppExit> | undefined;

  return {
    config,
    database,
    redisUrl: options.redisUrl,
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
    stop: () => (exit ??= running.stop()),
    stderr: () => running.stderr(),
    async close() {
      await (exit ??= running.stop());
      await queue.obliterate({ force: true }).catch(() => {});
      await producer.close();
      redis.disconnect();
      await pool.end();
      await database.drop();
    },
  };
}
