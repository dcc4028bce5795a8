import { createTestDatabase, type TestDatabase } from '@repo/testing';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMigrationGate, readBundledMigrations, runMigrations } from '../src/index.ts';

/** The check the apps ask before serving a request, against a real database. */

const logger = pino({ level: 'silent' });
let database: TestDatabase;
let client: pg.Client;
/** Every query the gate sends, counted on the way to the real client. */
let queries = 0;
const counting = {
  query: (text: string, values?: unknown[]) => {
    queries++;
    return client.query(text, values);
  },
} as Pick<pg.Client, 'query'>;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'gate');
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

describe('the migration gate', () => {
  const gate = createMigrationGate(counting);

  it('says no, naming every pending migration, and shares one check among concurrent callers', async () => {
    const before = queries;
    const answers = await Promise.all([gate.check(), gate.check(), gate.check()]);
    for (const answer of answers)
      expect(answer).toEqual({ upToDate: false, pending: readBundledMigrations().map((m) => m.tag) });
    // One check (its one query: the migrations table does not exist yet), not three.
    expect(queries - before).toBe(1);
    expect(gate.migrated).toBe(false);
  });

  it('asks again until the migrations are applied, then says yes', async () => {
    expect((await gate.check()).upToDate).toBe(false);
    await runMigrations({ connectionString: database.url, tls: { mode: 'disable' }, logger });
    expect(await gate.check()).toEqual({ upToDate: true, pending: [] });
    expect(gate.migrated).toBe(true);
  });

  it('never asks the database again once it has said yes (migrations are never un-applied)', async () => {
    const before = queries;
    for (let i = 0; i < 5; i++) expect((await gate.check()).upToDate).toBe(true);
    expect(queries).toBe(before);
  });
});
