import { createDatabase, createPool, documents, tasks, type Database, type Pool, type Task } from '@repo/db';
import { createProducer, createRedis, type Producer, type Redis } from '@repo/queue';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * What the rest of the system is to a task-runner under test: a database of its own, a queue
 * prefix of its own, and an "api" that stores documents and tasks and enqueues their jobs.
 */
export interface TestStack {
  database: TestDatabase;
  prefix: string;
  redisUrl: string;
  db: Database;
  producer: Producer;
  /** The environment a task-runner of this stack needs. */
  env: Record<string, string>;
  /** Inserts a document and its task the way the api does, and enqueues its job. */
  submitDocument(content: string): Promise<{ documentId: string; taskId: string }>;
  task(taskId: string): Promise<Task | undefined>;
  /**
   * Holds the document's row lock in a transaction of its own, so an ingestion of it waits —
   * a slow job made of real work, without any test hook in the runner.
   */
  lockDocument(documentId: string): Promise<{ release(): Promise<void> }>;
  close(): Promise<void>;
}

export async function createTestStack(
  label: string,
  options: { database?: TestDatabase; prefix?: string } = {},
): Promise<TestStack> {
  const ownsDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase(inject('databaseUrl'), label));
  const prefix = options.prefix ?? uniqueId(label.replace(/[^a-z0-9-]/g, '-'));
  const redisUrl = inject('redisUrl');
  const pool: Pool = createPool({
    connectionString: database.url,
    tls: { mode: 'disable' },
    applicationName: `${label}-test`,
    max: 4,
    statementTimeoutMs: 30_000,
    connectTimeoutMs: 2_000,
    onError: () => {},
  });
  const db = createDatabase(pool);
  const redis: Redis = createRedis(redisUrl, 'producer', `${label}-test-producer`);
  redis.on('error', () => {});
  await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  const producer = createProducer({ connection: redis, prefix });
  const lockHolders = new Set<pg.Client>();

  return {
    database,
    prefix,
    redisUrl,
    db,
    producer,
    // NODE_ENV=test: the test database's password is the published development one.
    env: { NODE_ENV: 'test', DATABASE_URL: database.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix },
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
    async task(taskId) {
      const [row] = await db.select().from(tasks).where(eq(tasks.id, taskId));
      return row;
    },
    async lockDocument(documentId) {
      const client = new pg.Client({ connectionString: database.url });
      client.on('error', () => {});
      await client.connect();
      lockHolders.add(client);
      await client.query('begin');
      await client.query('select id from documents where id = $1 for update', [documentId]);
      return {
        async release() {
          if (!lockHolders.delete(client)) return;
          await client.query('commit');
          await client.end();
        },
      };
    },
    async close() {
      for (const client of lockHolders) await client.end().catch(() => {});
      await producer.close();
      redis.disconnect();
      await pool.end();
      if (ownsDatabase) await database.drop();
    },
  };
}

/** A document of `paragraphs` short paragraphs, each distinct. */
export function documentText(paragraphs: number, tag = 'x'): string {
  return Array.from(
    { length: paragraphs },
    (_, i) => `Paragraph ${i} of ${tag} explains one idea in a few sentences. It has a second sentence.`,
  ).join('\n\n');
}
