import { costOf } from '@repo/config';
import {
  createDatabase,
  createPool,
  EMBEDDING_DIMENSIONS,
  runMigrations,
  usageRecords,
  type Database,
  type Pool,
} from '@repo/db';
import { fakeEmbedding, startFakeLlm, type FakeLlm } from '@repo/fake-llm';
import { createLogger, createMetricsRegistry, type Registry } from '@repo/observability';
import { createTestDatabase, uniqueId, type TestDatabase } from '@repo/testing';
import { APICallError } from 'ai';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEmbedder, EmbeddingDimensionsError, type Embedder } from '../src/index.ts';

let database: TestDatabase;
let pool: Pool;
let db: Database;
let fake: FakeLlm;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'embeddings');
  const logger = createLogger({ service: 'embeddings-test', level: 'silent' });
  await runMigrations({ connectionString: database.url, tls: { mode: 'disable' }, logger });
  pool = createPool({
    connectionString: database.url,
    tls: { mode: 'disable' },
    applicationName: 'embeddings-test',
    max: 4,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    onError: () => {},
  });
  db = createDatabase(pool);
  fake = await startFakeLlm();
});
afterAll(async () => {
  await fake?.close();
  await pool?.end();
  await database?.drop();
});

const PRICES = new Map([['openai-compatible:fake-embedding', { input: 0.02, output: 0 }]]);

function embedderFor(
  server: FakeLlm,
  options: { batchSize?: number; model?: string; metrics?: Registry } = {},
) {
  return createEmbedder(
    {
      model: options.model ?? 'fake-embedding',
      baseUrl: server.url,
      apiKey: 'test-key',
      timeoutMs: 5_000,
      batchSize: options.batchSize ?? 64,
    },
    {
      db,
      prices: PRICES,
      metrics: options.metrics ?? createMetricsRegistry('test', { defaultMetrics: false }),
    },
  )!;
}

const usageOf = (ownerId: string) =>
  db
    .select()
    .from(usageRecords)
    .where(eq(usageRecords.ownerId, ownerId))
    .orderBy(asc(usageRecords.createdAt));

describe('createEmbedder', () => {
  it('is undefined without a configured model', () => {
    expect(
      createEmbedder(undefined, { db, prices: PRICES, metrics: createMetricsRegistry('t') }),
    ).toBeUndefined();
  });

  it('embeds in batches, in order, and records each call as a priced usage row of the owner', async () => {
    const owner = uniqueId('owner');
    const metrics = createMetricsRegistry('test', { defaultMetrics: false });
    const embedder: Embedder = embedderFor(fake, { batchSize: 2, metrics });
    const texts = ['first text', 'second text', 'third text', 'fourth text', 'fifth text'];
    const before = fake.embeddingRequests.length;

    const vectors = await embedder.embed(owner, texts);

    expect(vectors).toEqual(texts.map((text) => fakeEmbedding(text)));
    const requests = fake.embeddingRequests.slice(before);
    expect(requests.map((request) => request.input)).toEqual([
      texts.slice(0, 2),
      texts.slice(2, 4),
      texts.slice(4),
    ]);
    const rows = await usageOf(owner);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toMatchObject({
        kind: 'embedding',
        provider: 'openai-compatible',
        model: 'fake-embedding',
        runId: null,
        conversationId: null,
        outputTokens: 0,
      });
      expect(row.inputTokens).toBeGreaterThan(0);
      const cost = costOf(PRICES, {
        provider: 'openai-compatible',
        model: 'fake-embedding',
        inputTokens: row.inputTokens,
        outputTokens: 0,
      });
      expect(Number(row.cost)).toBeCloseTo(cost!, 10);
    }
    const exposition = await metrics.metrics();
    const tokens = rows.reduce((sum, row) => sum + row.inputTokens, 0);
    expect(exposition).toContain(
      `embedding_tokens_total{provider="openai-compatible",model="fake-embedding",service="test"} ${tokens}`,
    );
    expect(exposition).toContain(
      'embedding_calls_total{provider="openai-compatible",model="fake-embedding",priced="true",service="test"} 3',
    );
    expect(exposition).not.toContain(owner);
  });

  it('leaves an unpriced model unpriced (cost null), never free', async () => {
    const owner = uniqueId('owner');
    await embedderFor(fake, { model: 'unpriced-embedding' }).embed(owner, ['a text']);
    const [row] = await usageOf(owner);
    expect(row).toMatchObject({ model: 'unpriced-embedding', cost: null });
  });

  it('throws the provider error when the provider fails, recording nothing for the failed call', async () => {
    const owner = uniqueId('owner');
    fake.failEmbeddings({ status: 503, message: 'overloaded' });
    try {
      await expect(embedderFor(fake).embed(owner, ['a text'])).rejects.toBeInstanceOf(APICallError);
    } finally {
      fake.failEmbeddings(undefined);
    }
    expect(await usageOf(owner)).toEqual([]);
  });

  it('refuses vectors of the wrong length with an error naming both numbers, after recording the spent tokens', async () => {
    const small = await startFakeLlm({ embeddingDimensions: 768 });
    try {
      const owner = uniqueId('owner');
      const failure = embedderFor(small).embed(owner, ['a text']);
      await expect(failure).rejects.toBeInstanceOf(EmbeddingDimensionsError);
      await expect(failure).rejects.toThrow(
        `768 dimensions, the chunks table stores ${EMBEDDING_DIMENSIONS}`,
      );
      expect(await usageOf(owner)).toHaveLength(1);
    } finally {
      await small.close();
    }
  });
});
