import type { Embedder } from '@repo/embeddings';
import type { EmbedQuery } from './search-service.ts';

/**
 * A search query's embedding from the configured model (one text, one call, one usage row of the
 * owner), or undefined without a model: search is then full text, as it always was.
 */
export function queryEmbedding(embedder: Embedder | undefined): EmbedQuery | undefined {
  if (!embedder) return undefined;
  return async (ownerId, text) => {
    const [vector] = await embedder.embed(ownerId, [text]);
    if (!vector) throw new Error('the embedding model answered no vector for the query');
    return vector;
  };
}
