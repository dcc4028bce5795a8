import { chunks, documents, EMBEDDING_DIMENSIONS, usageRecords } from '@repo/db';
import { createEmbedder } from '@repo/embeddings';
import { createMetricsRegistry } from '@repo/observability';
import { fakeEmbedding, startFakeLlm, type FakeLlm } from '@repo/fake-llm';
import { waitFor } from '@repo/testing';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentIngestion } from '../src/ingestion/ingest-document.ts';
import { createTestRunner, sample, type TestRunner } from './support/test-runner.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

let fake: FakeLlm;
let stack: TestStack;
let t: TestRunner;

beforeAll(async () => {
  fake = await startFakeLlm();
  stack = await createTestStack('embeddings');
  t = await createTestRunner({
    stack,
    env: {
      CHUNK_SIZE: '200',
      CHUNK_OVERLAP: '0',
      EMBEDDING_MODEL: 'fake-embedding',
      EMBEDDING_BASE_URL: fake.url,
      EMBEDDING_API_KEY: 'test-key',
      EMBEDDING_BATCH_SIZE: '3',
      MODEL_PRICES: '{"openai-compatible:fake-embedding": {"input": 0.02, "output": 0}}',
    },
  });
  await t.startLeading();
});
afterAll(async () => {
  await t?.close();
  await stack?.close();
  await fake?.close();
});

const paragraphs = (tag: string, count: number) =>
  Array.from(
    { length: count },
    (_, i) => `${tag} paragraph ${i} says one thing about ${tag} in a sentence or two.`,
  ).join('\n\n');

const documentOf = async (documentId: string) =>
  (await t.db.select().from(documents).where(eq(documents.id, documentId)))[0];

const usageRows = () => t.db.select().from(usageRecords).where(eq(usageRecords.kind, 'embedding'));

describe('ingestion with an embedding model', () => {
  it("stores each chunk's vector, embedded in batches, and records every call as the owner's usage", async () => {
    const before = (await usageRows()).length;
    const requestsBefore = fake.embeddingRequests.length;
    const { documentId, taskId } = await t.submitDocument(paragraphs('keelson', 7));

    await waitFor(async () => ((await documentOf(documentId))?.status === 'ready' ? true : undefined), {
      what: 'document ready',
    });
    const stored = await t.db
      .select({ content: chunks.content, embedding: chunks.embedding })
      .from(chunks)
      .where(eq(chunks.documentId, documentId))
      .orderBy(asc(chunks.ordinal));
    expect(stored.length).toBeGreaterThan(3);
    for (const chunk of stored) {
      expect(chunk.embedding).toHaveLength(EMBEDDING_DIMENSIONS);
      // float4 in Postgres: equal to the model's answer within its precision.
      const expected = fakeEmbedding(chunk.content);
      expect(chunk.embedding!.every((value, i) => Math.abs(value - expected[i]!) < 1e-6)).toBe(true);
    }
    expect((await t.task(taskId))?.status).toBe('succeeded');

    const calls = Math.ceil(stored.length / 3);
    expect(fake.embeddingRequests.length - requestsBefore).toBe(calls);
    const rows = (await usageRows()).slice(before);
    expect(rows).toHaveLength(calls);
    for (const row of rows) {
      expect(row).toMatchObject({
        ownerId: 'owner',
        kind: 'embedding',
        provider: 'openai-compatible',
        model: 'fake-embedding',
        runId: null,
        conversationId: null,
        outputTokens: 0,
      });
      expect(row.inputTokens).toBeGreaterThan(0);
      expect(Number(row.cost)).toBeGreaterThan(0);
    }
    const labels = { provider: 'openai-compatible', model: 'fake-embedding' };
    expect(await sample(t.metrics, 'embedding_tokens_total', labels)).toBeGreaterThanOrEqual(
      rows.reduce((sum, row) => sum + row.inputTokens, 0),
    );
  });

  it('keeps a document while the provider is down: no chunks, the job retries, and it is ready once the provider is back', async () => {
    fake.failEmbeddings({ status: 503, message: 'the embedding service is overloaded' });
    let recovered = false;
    try {
      const failedBefore = fake.embeddingRequests.length;
      const { documentId, taskId } = await t.submitDocument(paragraphs('outage', 2));
      // At least two attempts (the first and a retry after the job's backoff) met the outage.
      await waitFor(() => (fake.embeddingRequests.length - failedBefore >= 2 ? true : undefined), {
        what: 'a retried attempt',
        timeoutMs: 20_000,
      });
      const during = await documentOf(documentId);
      expect(during?.status).toBe('processing');
      const [{ count } = { count: -1 }] = await t.db
        .select({ count: sql<number>`count(*)::int` })
        .from(chunks)
        .where(eq(chunks.documentId, documentId));
      expect(count).toBe(0);
      fake.failEmbeddings(undefined);
      recovered = true;
      await waitFor(async () => ((await documentOf(documentId))?.status === 'ready' ? true : undefined), {
        what: 'document ready after the outage',
        timeoutMs: 30_000,
      });
      const task = await t.task(taskId);
      expect(task?.status).toBe('succeeded');
      expect(task?.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      if (!recovered) fake.failEmbeddings(undefined);
    }
  });
});

describe('an attempt whose provider cannot be reached', () => {
  it('stores nothing and fails with a reason naming the step and the model (what a final failure shows)', async () => {
    const gone = await startFakeLlm();
    const url = gone.url;
    await gone.close();
    const embedder = createEmbedder(
      { model: 'unreachable-embedding', baseUrl: url, apiKey: undefined, timeoutMs: 2_000, batchSize: 8 },
      { db: t.db, prices: new Map(), metrics: createMetricsRegistry('test', { defaultMetrics: false }) },
    );
    const [document] = await t.db
      .insert(documents)
      .values({ ownerId: 'owner', title: 'unreachable', content: 'Some text to embed.', contentHash: 'h' })
      .returning();
    const ingest = documentIngestion(t.db, undefined, embedder);
    await expect(ingest(document!.id, { chunkSize: 200, overlap: 0 })).rejects.toThrow(
      /^embedding the chunks with unreachable-embedding failed: /,
    );
    expect((await documentOf(document!.id))?.status).toBe('queued');
    const stored = await t.db.select().from(chunks).where(eq(chunks.documentId, document!.id));
    expect(stored).toEqual([]);
  });
});

describe('ingestion with a model of the wrong dimensions', () => {
  it('fails the document at once (no retry can fix it), naming both numbers', async () => {
    const small = await startFakeLlm({ embeddingDimensions: 768 });
    const runner = await createTestRunner({
      stack,
      env: { EMBEDDING_MODEL: 'small-embedding', EMBEDDING_BASE_URL: small.url },
    });
    try {
      // The first runner is stopped so this one takes the job.
      await t.runner.stop();
      await runner.runner.start();
      const { documentId, taskId } = await stack.submitDocument('A short document.');
      const document = await waitFor(
        async () => {
          const row = await documentOf(documentId);
          return row?.status === 'failed' ? row : undefined;
        },
        { what: 'document failed' },
      );
      expect(document.error).toContain(`768 dimensions, the chunks table stores ${EMBEDDING_DIMENSIONS}`);
      expect(small.embeddingRequests).toHaveLength(1);
      expect((await t.task(taskId))?.attempts).toBe(1);
    } finally {
      await runner.close();
      await small.close();
    }
  });
});
