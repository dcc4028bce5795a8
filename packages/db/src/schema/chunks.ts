import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, unique, uuid, vector } from 'drizzle-orm/pg-core';
import { id, tsvector } from './columns.ts';
import { documents } from './documents.ts';

/** Matches OpenAI's text-embedding-3-small; change it together with the embedding model. */
export const EMBEDDING_DIMENSIONS = 1536;

/**
 * Where in its source a chunk came from: the page of a PDF, the headings above it in a DOCX, HTML
 * or Markdown file (outermost first). Null for text posted as JSON.
 */
export interface ChunkMetadata {
  page?: number;
  headings?: string[];
}

export const chunks = pgTable(
  'chunks',
  {
    id: id(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    content: text('content').notNull(),
    metadata: jsonb('metadata').$type<ChunkMetadata>(),
    // Computed by Postgres from `content`, so it can never drift from the text it indexes.
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('english', content)`),
    // Filled by an embedding step when one is configured; search falls back to full text without it.
    embedding: vector('embedding', { dimensions: EMBEDDING_DIMENSIONS }),
  },
  (table) => [
    // One chunk per position: re-running an ingestion cannot leave two sets behind.
    unique('chunks_document_ordinal_unique').on(table.documentId, table.ordinal),
    index('chunks_search_vector_idx').using('gin', table.searchVector),
    // Nearest-neighbour search by cosine distance once embeddings are filled (null rows are not indexed).
    index('chunks_embedding_idx').using('hnsw', table.embedding.op('vector_cosine_ops')),
  ],
);

export type Chunk = typeof chunks.$inferSelect;
export type NewChunk = typeof chunks.$inferInsert;
