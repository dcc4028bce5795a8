import { costOf, type EmbeddingModelConfig, type PriceTable } from '@repo/config';
import { EMBEDDING_DIMENSIONS, usageRecords, type Database } from '@repo/db';
import type { Registry } from '@repo/observability';
import type { EmbeddingModel, embedMany as EmbedMany } from 'ai';
import { createEmbeddingMetrics } from './embedding-metrics.ts';

/**
 * The provider name usage rows and metrics carry, and MODEL_PRICES is keyed by
 * (`openai-compatible:<EMBEDDING_MODEL>`): the same name the agent gives its OpenAI-compatible
 * chat models.
 */
export const EMBEDDING_PROVIDER = 'openai-compatible';

/**
 * The model answered vectors of another length than the chunks table's column: no retry can fix
 * that (the model, or EMBEDDING_DIMENSIONS, must change), so callers fail at once.
 */
export class EmbeddingDimensionsError extends Error {
  constructor(model: string, received: number) {
    super(
      `the embedding model ${model} answered vectors of ${received} dimensions, the chunks table stores ${EMBEDDING_DIMENSIONS} (@repo/db EMBEDDING_DIMENSIONS): configure a model of ${EMBEDDING_DIMENSIONS} dimensions`,
    );
    this.name = 'EmbeddingDimensionsError';
  }
}

export interface EmbedderDependencies {
  db: Database;
  prices: PriceTable;
  metrics: Registry;
}

export interface Embedder {
  provider: string;
  model: string;
  /**
   * Embeds `texts` for `ownerId`, in batches of EMBEDDING_BATCH_SIZE one after the other, and
   * records each batch's tokens as a usage row of that owner. One vector per text, in order.
   */
  embed(ownerId: string, texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}

/**
 * The configured embedding model, or undefined when none is.
 *
 * Retries: none here (`maxRetries: 0`). At ingestion the job's own attempts and backoff retry
 * (a failed attempt has stored nothing: vectors are written only once all are in), and a search
 * degrades to full text at once rather than keep its caller waiting for a provider in trouble.
 *
 * Usage: each call's row is written as soon as it answered, on its own: its tokens are spent
 * whatever happens next (a later batch failing, the ingestion's transaction rolling back).
 */
export function createEmbedder(
  configured: EmbeddingModelConfig | undefined,
  { db, prices, metrics: registry }: EmbedderDependencies,
): Embedder | undefined {
  if (!configured) return undefined;
  const config = configured;
  // The AI SDK and the provider are imported on the first call: a process without embeddings
  // (what `tests/bench` measures) never loads them.
  let client: Promise<{ model: EmbeddingModel; embedMany: typeof EmbedMany }> | undefined;
  const load = () =>
    (client ??= Promise.all([import('ai'), import('@ai-sdk/openai-compatible')]).then(
      ([{ embedMany }, { createOpenAICompatible }]) => ({
        embedMany,
        model: createOpenAICompatible({
          name: EMBEDDING_PROVIDER,
          baseURL: config.baseUrl,
          apiKey: config.apiKey,
        }).embeddingModel(config.model),
      }),
    ));
  const metrics = createEmbeddingMetrics(registry);
  const labels = { provider: EMBEDDING_PROVIDER, model: config.model };

  async function call(ownerId: string, values: string[], signal: AbortSignal | undefined) {
    const timeout = AbortSignal.timeout(config.timeoutMs);
    let result: Awaited<ReturnType<typeof EmbedMany>>;
    try {
      const { model, embedMany } = await load();
      result = await embedMany({
        model,
        values,
        maxRetries: 0,
        abortSignal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      metrics.failures.inc(labels);
      throw error;
    }
    const inputTokens = result.usage.tokens;
    const cost = costOf(prices, { ...labels, inputTokens, outputTokens: 0 });
    await db.insert(usageRecords).values({
      ownerId,
      kind: 'embedding',
      ...labels,
      inputTokens,
      outputTokens: 0,
      cost: cost === null ? null : String(cost),
    });
    metrics.tokens.inc(labels, inputTokens);
    metrics.calls.inc({ ...labels, priced: String(cost !== null) });
    if (cost !== null) metrics.cost.inc(labels, cost);
    const wrong = result.embeddings.find((vector) => vector.length !== EMBEDDING_DIMENSIONS);
    if (wrong) {
      metrics.failures.inc(labels);
      throw new EmbeddingDimensionsError(config.model, wrong.length);
    }
    return result.embeddings;
  }

  return {
    ...labels,
    async embed(ownerId, texts, signal) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += config.batchSize) {
        vectors.push(...(await call(ownerId, texts.slice(start, start + config.batchSize), signal)));
      }
      return vectors;
    },
  };
}
