import { createTestDatabase, type TestDatabase } from '@repo/testing';
import { and, desc, eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createDatabase,
  createPool,
  documents,
  prepareFlatSelect,
  runMigrations,
  type Database,
  type Pool,
} from '../src/index.ts';

/** `prepareFlatSelect` against drizzle's own prepared select, on a real database. */

let database: TestDatabase;
let pool: Pool;
let db: Database;

/** A pool on the test database: the test's own (2 connections), or a single connection. */
const testPool = (max: number): Pool =>
  createPool({
    connectionString: database.url,
    applicationName: `flat-select-test-${max}`,
    tls: { mode: 'disable' },
    max,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 10_000,
    onError: () => {},
  });

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'flat');
  await runMigrations({
    connectionString: database.url,
    tls: { mode: 'disable' },
    logger: pino({ level: 'silent' }),
  });
  pool = testPool(2);
  db = createDatabase(pool);
  const row = (i: number) => ({
    ownerId: i % 3 === 0 ? 'other' : 'owner',
    title: `Document ${i}`,
    content: `text ${i}`,
    contentHash: `hash-${i}`,
    status: i % 2 === 0 ? ('ready' as const) : ('failed' as const),
    error: i % 2 === 0 ? null : `failure ${i}`,
    // Every other one an upload: the file object below is null for the rest.
    ...(i % 2 === 0
      ? { objectKey: `key-${i}`, fileName: `f${i}.pdf`, mediaType: 'application/pdf', byteSize: 1_000 + i }
      : {}),
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i, i)),
  });
  await db.insert(documents).values(Array.from({ length: 9 }, (_, i) => row(i)));
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** A selection with each kind of field: columns (text, enum, timestamp, bigint), and SQL. */
const listOf = (target: Database) =>
  target
    .select({
      id: documents.id,
      title: documents.title,
      status: documents.status,
      error: documents.error,
      byteSize: documents.byteSize,
      createdAt: documents.createdAt,
      updatedAt: documents.updatedAt,
      // Decoded by Postgres's type (int4 → number), no decoder of drizzle's.
      length: sql<number>`length(${documents.content})::int`,
      // A bigint count arrives as a string: mapWith's decoder makes it a number.
      sameStatus: sql<number>`(select count(*) from documents d where d.status = documents.status)`.mapWith(
        Number,
      ),
      file: sql<{
        name: string;
        size: number;
      } | null>`case when ${documents.objectKey} is null then null else json_build_object('name', ${documents.fileName}, 'size', ${documents.byteSize}) end`,
      upper: sql<string>`upper(${documents.title})`.as('upper_title'),
    })
    .from(documents)
    .where(and(eq(documents.ownerId, sql.placeholder('ownerId'))))
    .orderBy(desc(documents.createdAt))
    .limit(sql.placeholder('limit'));

describe('prepareFlatSelect', () => {
  it('returns exactly the rows drizzle maps itself, decoders included', async () => {
    const ours = prepareFlatSelect(db, listOf(db), 'flat_list');
    const drizzles = listOf(db).prepare('drizzle_list');
    for (const placeholders of [
      { ownerId: 'owner', limit: 10 },
      { ownerId: 'owner', limit: 2 },
      { ownerId: 'other', limit: 10 },
      { ownerId: 'nobody', limit: 10 },
    ]) {
      const [mine, theirs] = await Promise.all([ours.execute(placeholders), drizzles.execute(placeholders)]);
      expect(mine).toEqual(theirs);
      expect(Object.keys(mine[0] ?? {})).toEqual(Object.keys(theirs[0] ?? {}));
    }

    const [first] = await ours.execute({ ownerId: 'owner', limit: 1 });
    expect(first).toMatchObject({
      title: 'Document 8',
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 8, 8)),
      sameStatus: 5,
      length: 6,
      file: { name: 'f8.pdf', size: 1_008 },
      upper: 'DOCUMENT 8',
      error: null,
    });
    expect(typeof first!.byteSize).toBe('number');
  });

  it('is a named statement: Postgres parses and plans it once per connection', async () => {
    // One connection, so the catalogue query below runs on the session that prepared it.
    const single = testPool(1);
    try {
      const singleDb = createDatabase(single);
      const ours = prepareFlatSelect(singleDb, listOf(singleDb), 'flat_named');
      await ours.execute({ ownerId: 'owner', limit: 1 });
      await ours.execute({ ownerId: 'other', limit: 1 });
      const prepared = await single.query<{ name: string }>(
        "select name from pg_prepared_statements where name = 'flat_named'",
      );
      expect(prepared.rows).toEqual([{ name: 'flat_named' }]);
    } finally {
      await single.end();
    }
  });

  it('refuses a selection that is not flat', () => {
    const nested = db.select({ document: { id: documents.id } }).from(documents);
    expect(() => prepareFlatSelect(db, nested as never, 'nested')).toThrow(
      /"document" is not a column or an SQL expression/,
    );
  });
});
