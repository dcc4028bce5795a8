import {
  conversations,
  createDatabase,
  createPool,
  runMigrations,
  runs,
  type Database,
  type Pool,
} from '@repo/db';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { Redis } from 'ioredis';
import pino from 'pino';
import { inject } from 'vitest';

export interface RunsFixture {
  database: TestDatabase;
  pool: Pool;
  db: Database;
  redis: Redis;
  subscriber: Redis;
  prefix: string;
  /** A conversation of `owner` with one run in `status` (running by default). */
  newRun(options?: { status?: 'running' | 'queued' | 'succeeded'; leaseMs?: number }): Promise<string>;
  close(): Promise<void>;
}

/** A migrated database of the file's own and two Redis connections, one for subscriptions. */
export async function createRunsFixture(): Promise<RunsFixture> {
  const database = await createTestDatabase(inject('databaseUrl'), 'runs');
  await runMigrations({
    connectionString: database.url,
    tls: { mode: 'disable' },
    logger: pino({ level: 'silent' }),
  });
  const pool = createPool({
    connectionString: database.url,
    tls: { mode: 'disable' },
    applicationName: 'runs-test',
    max: 5,
    statementTimeoutMs: 5_000,
    connectTimeoutMs: 5_000,
    onError: () => {},
  });
  const db = createDatabase(pool);
  const redis = new Redis(inject('redisUrl'));
  const subscriber = new Redis(inject('redisUrl'));
  await waitFor(() => redis.status === 'ready' && subscriber.status === 'ready', { what: 'redis' });
  return {
    database,
    pool,
    db,
    redis,
    subscriber,
    prefix: uniqueId('runs-test'),
    async newRun({ status = 'running', leaseMs = 60_000 } = {}) {
      const [conversation] = await db
        .insert(conversations)
        .values({ ownerId: 'alice', title: 'runs' })
        .returning({ id: conversations.id });
      const [run] = await db
        .insert(runs)
        .values({
          ownerId: 'alice',
          conversationId: conversation!.id,
          status,
          provider: 'test',
          model: 'test-model',
          leaseOwner: status === 'running' ? 'agent-test' : null,
          leaseExpiresAt: status === 'running' ? new Date(Date.now() + leaseMs) : null,
        })
        .returning({ id: runs.id });
      return run!.id;
    },
    async close() {
      redis.disconnect();
      subscriber.disconnect();
      await pool.end();
      await database.drop();
    },
  };
}
