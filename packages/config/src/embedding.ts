import { z } from 'zod';
import { int } from './schemas.ts';
import { secret } from './secret.ts';

/**
 * The embedding model: any server speaking OpenAI's `/v1/embeddings` (OpenAI itself at
 * https://api.openai.com/v1, vLLM, LiteLLM, Ollama, TEI's OpenAI route). Optional: without
 * `EMBEDDING_MODEL` nothing is embedded and search is full text only. Its vectors must have the
 * chunks table's dimensions (@repo/db EMBEDDING_DIMENSIONS, 1536): a model answering another
 * length fails the ingestion that meets it, naming both numbers.
 */
const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' });

export const embedding = {
  /** The model id sent to the server, e.g. `text-embedding-3-small`. Unset: no embeddings. */
  EMBEDDING_MODEL: z.string().trim().min(1).max(200).optional(),
  /** The server's OpenAI-compatible base URL, e.g. https://api.openai.com/v1. */
  EMBEDDING_BASE_URL: httpUrl.optional(),
  /** Sent as `Authorization: Bearer …`; unset for a server that needs none (a local one). */
  EMBEDDING_API_KEY: secret(z.string().min(1)).optional(),
  /** One call to the model (a batch of chunks, or a query) is given up after this. */
  EMBEDDING_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /** Chunks per call at ingestion (OpenAI accepts up to 2048 inputs a call). */
  EMBEDDING_BATCH_SIZE: int(1, 2_048).default(64),
};

export interface EmbeddingConfig {
  EMBEDDING_MODEL?: string | undefined;
  EMBEDDING_BASE_URL?: string | undefined;
  EMBEDDING_API_KEY?: string | undefined;
  EMBEDDING_TIMEOUT_MS: number;
  EMBEDDING_BATCH_SIZE: number;
}

/** A model without a server, or a server without a model: refused, rather than silently full text only. */
export function refineEmbedding(config: EmbeddingConfig, context: z.RefinementCtx): void {
  if (config.EMBEDDING_MODEL !== undefined && config.EMBEDDING_BASE_URL === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['EMBEDDING_BASE_URL'],
      message: 'is required because EMBEDDING_MODEL is set (e.g. https://api.openai.com/v1)',
    });
  }
  if (config.EMBEDDING_MODEL === undefined) {
    for (const name of ['EMBEDDING_BASE_URL', 'EMBEDDING_API_KEY'] as const) {
      if (config[name] === undefined) continue;
      context.addIssue({
        code: 'custom',
        path: ['EMBEDDING_MODEL'],
        message: `is required because ${name} is set: without it nothing would be embedded`,
      });
      return;
    }
  }
}

/** The embedding model's settings when one is configured, or undefined. */
export interface EmbeddingModelConfig {
  model: string;
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  batchSize: number;
}

export function embeddingModelConfig(config: EmbeddingConfig): EmbeddingModelConfig | undefined {
  if (config.EMBEDDING_MODEL === undefined || config.EMBEDDING_BASE_URL === undefined) return undefined;
  return {
    model: config.EMBEDDING_MODEL,
    baseUrl: config.EMBEDDING_BASE_URL,
    apiKey: config.EMBEDDING_API_KEY,
    timeoutMs: config.EMBEDDING_TIMEOUT_MS,
    batchSize: config.EMBEDDING_BATCH_SIZE,
  };
}
