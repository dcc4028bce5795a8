import { chunks, documents, usageRecords } from '@repo/db';
import { fakeEmbedding, startFakeLlm, type FakeLlm } from '@repo/fake-llm';
import { createLogger } from '@repo/observability';
import { captureLines } from '@repo/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

interface Hit {
  chunkId: string;
  content: string;
  score: number;
  textScore: number | null;
  vectorScore: number | null;
}

/** What the app logged, one JSON line per entry. */
const log = captureLines();
let fake: FakeLlm;
let t: TestApp;

beforeAll(async () => {
  fake = await startFakeLlm();
  t = await createTestApp({
    logger: createLogger({ service: 'api-test', level: 'warn' }, log.stream),
    env: {
      EMBEDDING_MODEL: 'fake-embedding',
      EMBEDDING_BASE_URL: fake.url,
      EMBEDDING_API_KEY: 'test-key',
      EMBEDDING_TIMEOUT_MS: '2000',
      MODEL_PRICES: '{"openai-compatible:fake-embedding": {"input": 0.02, "output": 0}}',
    },
  });
  // Chunks as the task-runner leaves them with the same model: each with its content's vector.
  for (const [owner, title, content] of [
    ['alice', 'Ships', 'The keelson strengthens the hull of a wooden ship.'],
    ['alice', 'Fruit', 'Bananas are yellow and sweet.'],
    ['bob', 'Bob ships', 'The keelson strengthens the hull of a wooden ship.'],
  ] as const) {
    const [document] = await t.db
      .insert(documents)
      .values({ ownerId: owner, title, content, contentHash: 'x', status: 'ready' })
      .returning({ id: documents.id });
    await t.db
      .insert(chunks)
      .values({ documentId: document!.id, ordinal: 0, content, embedding: fakeEmbedding(content) });
  }
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

async function search(query: string, owner = 'alice') {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/search',
    headers: await t.auth(owner),
    payload: { query },
  });
  return { status: response.statusCode, hits: response.json<{ hits: Hit[] }>().hits };
}

const queryUsage = (owner: string) =>
  t.db
    .select()
    .from(usageRecords)
    .where(and(eq(usageRecords.ownerId, owner), eq(usageRecords.kind, 'embedding')));

describe('POST /v1/search with an embedding model configured', () => {
  it('embeds the query and finds by meaning a chunk that full text alone misses', async () => {
    // Full text needs every word ("anchors" is in no chunk); the vectors share "keelson" and "hull".
    const { status, hits } = await search('keelson hull anchors');
    expect(status).toBe(200);
    expect(hits[0]).toMatchObject({
      content: 'The keelson strengthens the hull of a wooden ship.',
      textScore: null,
    });
    expect(hits[0]!.vectorScore).toBeGreaterThan(0.3);
    // The unrelated chunk is far below, and bob's identical chunk never shows.
    expect(hits.filter((hit) => hit.content.startsWith('The keelson'))).toHaveLength(1);
    for (const hit of hits.slice(1)) expect(hit.score).toBeLessThan(hits[0]!.score / 2);
    expect(fake.embeddingRequests.at(-1)).toMatchObject({
      model: 'fake-embedding',
      input: ['keelson hull anchors'],
    });
  });

  it("records the query's embedding call as the searching owner's usage, priced, with no run or conversation", async () => {
    const before = (await queryUsage('carol')).length;
    await search('wooden ship', 'carol');
    const rows = (await queryUsage('carol')).slice(before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      provider: 'openai-compatible',
      model: 'fake-embedding',
      runId: null,
      conversationId: null,
      outputTokens: 0,
    });
    expect(rows[0]!.inputTokens).toBeGreaterThan(0);
    expect(Number(rows[0]!.cost)).toBeGreaterThan(0);
    const metrics = await t.metricsServer.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      /embedding_calls_total\{[^}]*model="fake-embedding"[^}]*priced="true"[^}]*\} \d+/,
    );
    expect(metrics.body).not.toContain('carol');
  });

  it('degrades to full text when the provider fails: 200, vectorScore null on every hit, a warning logged', async () => {
    fake.failEmbeddings({ status: 503, message: 'the embedding service is overloaded' });
    try {
      const { status, hits } = await search('keelson');
      expect(status).toBe(200);
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ vectorScore: null });
      expect(hits[0]!.textScore).toBeGreaterThan(0);
      expect(log.lines.join('')).toContain('the query could not be embedded: searching full text only');
    } finally {
      fake.failEmbeddings(undefined);
    }
  });
});
