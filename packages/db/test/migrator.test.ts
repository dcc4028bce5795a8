import { createTestDatabase, type TestDatabase } from '@repo/testing';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkMigrations, readBundledMigrations, runMigrations } from '../src/index.ts';

const logger = pino({ level: 'silent' });
/** The test server speaks plaintext (tls.test.ts covers TLS). */
const PLAINTEXT = { mode: 'disable' } as const;
let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'migrator');
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

describe('the migrator', () => {
  const bundled = readBundledMigrations();

  it('reports every bundled migration as pending on an empty database', async () => {
    expect(bundled.length).toBeGreaterThanOrEqual(2);
    const status = await checkMigrations(client);
    expect(status).toEqual({ upToDate: false, pending: bundled.map((m) => m.tag) });
  });

  it('applies each migration exactly once when three migrators race', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => runMigrations({ connectionString: database.url, tls: PLAINTEXT, logger })),
    );

    // One run applied everything; the two that waited for the lock found nothing to do.
    const applied = results.flatMap((result) => result.applied).sort();
    expect(applied).toEqual(bundled.map((m) => m.tag).sort());
    expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);

    const recorded = await client.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    expect(recorded.rows[0].n).toBe(bundled.length);
    expect(await checkMigrations(client)).toEqual({ upToDate: true, pending: [] });
  });

  it('is a no-op when run again', async () => {
    expect(await runMigrations({ connectionString: database.url, tls: PLAINTEXT, logger })).toEqual({
      applied: [],
    });
  });

  it('created the schema: pgvector, and a generated full-text column with its GIN index', async () => {
    const extension = await client.query(`select 1 from pg_extension where extname = 'vector'`);
    expect(extension.rowCount).toBe(1);

    const document = await client.query(
      `insert into documents (owner_id, title, content, content_hash) values ('o', 't', 'c', 'h') returning id`,
    );
    await client.query(
      `insert into chunks (document_id, ordinal, content) values ($1, 0, 'The quick brown foxes jumped')`,
      [document.rows[0].id],
    );
    const match = await client.query(
      `select count(*)::int as n from chunks where search_vector @@ plainto_tsquery('english', 'fox jumping')`,
    );
    expect(match.rows[0].n).toBe(1);

    const index = await client.query(
      `select indexdef from pg_indexes where indexname = 'chunks_search_vector_idx'`,
    );
    expect(index.rows[0].indexdef).toMatch(/USING gin/);
  });

  it('fails loudly, releasing the lock, when a migration fails', async () => {
    const broken = await createTestDatabase(inject('databaseUrl'), 'migrator_broken');
    try {
      // Make the first migration's statement fail: the extension cannot be created in a read-only transaction.
      const admin = new pg.Client({ connectionString: broken.url });
      await admin.connect();
      await admin.query(`alter database "${broken.name}" set default_transaction_read_only = on`);
      await admin.end();
      await expect(runMigrations({ connectionString: broken.url, tls: PLAINTEXT, logger })).rejects.toThrow(
        /read-only/,
      );
      // The lock was released: a later run does not wait for it.
      const reset = new pg.Client({ connectionString: broken.url });
      await reset.connect();
      await reset.query('set default_transaction_read_only = off');
      await reset.query(`alter database "${broken.name}" reset default_transaction_read_only`);
      await reset.end();
      const result = await runMigrations({
        connectionString: broken.url,
        tls: PLAINTEXT,
        logger,
        lockTimeoutMs: 2_000,
      });
      expect(result.applied).toHaveLength(bundled.length);
    } finally {
      await broken.drop();
    }
  });
});
