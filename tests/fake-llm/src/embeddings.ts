/** The parts of an OpenAI embeddings request the fake looks at. */
export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
}

/** OpenAI's text-embedding-3-small, and the chunks table's `vector(1536)`. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;

/**
 * A deterministic stand-in for an embedding model: a hashed bag of words and of each word's
 * character trigrams, L2-normalized. Texts that share words (or most letters of a word, as a typo
 * does) are near in cosine similarity, unrelated texts nearly orthogonal, and the same text always
 * gets the same vector — enough for tests of retrieval to assert rankings, which a real model's
 * vectors would not let them do.
 */
export function fakeEmbedding(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    add(vector, `w:${word}`, 1);
    const padded = `^${word}$`;
    for (let i = 0; i + 3 <= padded.length; i++) add(vector, `t:${padded.slice(i, i + 3)}`, 0.5);
  }
  const norm = Math.hypot(...vector);
  // An empty or symbol-only text: a fixed unit vector rather than zeros (cosine of a zero vector is undefined).
  if (norm === 0) return vector.map((_, index) => (index === 0 ? 1 : 0));
  return vector.map((value) => value / norm);
}

/** Feature hashing: FNV-1a picks the dimension, one more bit the sign (collisions cancel out on average). */
function add(vector: number[], feature: string, weight: number) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < feature.length; i++) {
    hash ^= feature.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const index = hash % vector.length;
  vector[index]! += (hash & 0x80000000) === 0 ? weight : -weight;
}

/** The OpenAI embeddings response for a request, with rough token counts (4 characters a token). */
export function embeddingResponse(request: EmbeddingRequest, dimensions: number) {
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  const tokens = inputs.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
  return {
    object: 'list',
    model: request.model,
    data: inputs.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: fakeEmbedding(text, request.dimensions ?? dimensions),
    })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
