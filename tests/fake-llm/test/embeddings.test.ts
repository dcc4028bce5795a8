import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, embed, embedMany } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EMBEDDING_DIMENSIONS, fakeEmbedding, startFakeLlm, type FakeLlm } from '../src/index.ts';

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
const modelFor = (server: FakeLlm) =>
  createOpenAI({ apiKey: 'test', baseURL: server.url }).embedding('fake-embedding');

describe('the fake embedding model, driven by the real AI SDK OpenAI provider', () => {
  it('answers one unit vector per input, the same for the same text, with usage', async () => {
    fake = await startFakeLlm();
    const result = await embedMany({
      model: modelFor(fake),
      values: [
        'The keelson strengthens the hull.',
        'Bananas are yellow.',
        'The keelson strengthens the hull.',
      ],
    });
    expect(result.embeddings).toHaveLength(3);
    for (const vector of result.embeddings) {
      expect(vector).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
    }
    expect(result.embeddings[0]).toEqual(result.embeddings[2]);
    expect(result.usage.tokens).toBeGreaterThan(0);
    expect(fake.embeddingRequests).toHaveLength(1);
    expect(fake.embeddingRequests[0]?.input).toHaveLength(3);
  });

  it('puts texts that share words (or a typo of one) near, and unrelated texts far', () => {
    const hull = fakeEmbedding('The keelson strengthens the hull of a ship');
    const query = fakeEmbedding('keelson hull anchors');
    const typo = fakeEmbedding('keelsn');
    const unrelated = fakeEmbedding('Bananas are yellow and sweet');
    expect(cosine(hull, query)).toBeGreaterThan(0.3);
    expect(cosine(fakeEmbedding('keelson'), typo)).toBeGreaterThan(0.3);
    expect(Math.abs(cosine(hull, unrelated))).toBeLessThan(0.15);
  });

  it('answers the dimensions asked for, or those it was started with', async () => {
    fake = await startFakeLlm({ embeddingDimensions: 8 });
    const { embedding } = await embed({ model: modelFor(fake), value: 'short' });
    expect(embedding).toHaveLength(8);
  });

  it('fails every embeddings request while told to, as a provider outage would', async () => {
    fake = await startFakeLlm();
    fake.failEmbeddings({ status: 503, message: 'overloaded' });
    const failing = embed({ model: modelFor(fake), value: 'x', maxRetries: 0 });
    await expect(failing).rejects.toBeInstanceOf(APICallError);
    fake.failEmbeddings(undefined);
    await expect(embed({ model: modelFor(fake), value: 'x', maxRetries: 0 })).resolves.toBeDefined();
  });
});
