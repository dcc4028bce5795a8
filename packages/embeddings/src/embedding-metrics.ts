import { Counter, type Registry } from '@repo/observability';

/**
 * The embedding calls' counters, shaped like the agent's chat ones (agent_model_*): by provider
 * and model, never by owner (one series per owner would grow without bound; usage_records has
 * the per-owner answer).
 */
export function createEmbeddingMetrics(registry: Registry) {
  return {
    tokens: new Counter({
      name: 'embedding_tokens_total',
      help: 'Input tokens of embedding calls (chunks at ingestion, search queries), by provider and model',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
    }),
    calls: new Counter({
      name: 'embedding_calls_total',
      help: 'Embedding calls recorded as usage, by provider, model and whether MODEL_PRICES prices them',
      labelNames: ['provider', 'model', 'priced'] as const,
      registers: [registry],
    }),
    cost: new Counter({
      name: 'embedding_cost_usd_total',
      help: 'What priced embedding calls cost in USD (MODEL_PRICES), by provider and model',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'embedding_failures_total',
      help: 'Embedding calls that failed (provider error, timeout, wrong dimensions), by provider and model',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
    }),
  };
}

export type EmbeddingMetrics = ReturnType<typeof createEmbeddingMetrics>;
