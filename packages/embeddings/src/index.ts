export {
  createEmbedder,
  EMBEDDING_PROVIDER,
  EmbeddingDimensionsError,
  type Embedder,
  type EmbedderDependencies,
} from './embedder.ts';
export { createEmbeddingMetrics, type EmbeddingMetrics } from './embedding-metrics.ts';
