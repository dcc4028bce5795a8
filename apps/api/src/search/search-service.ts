import { EMBEDDING_DIMENSIONS, type Database } from '@repo/db';
import type { Logger } from '@repo/observability';
import { sql } from 'drizzle-orm';

/**
 * Turns the query text into an embedding, charged to the owner; undefined while no embedding
 * model is configured.
 */
export type EmbedQuery = (ownerId: string, text: string) => Promise<number[]>;

export interface SearchServiceDependencies {
  db: Database;
  embedQuery?: EmbedQuery | undefined;
  logger: Logger;
  /** Share of the vector similarity in the score when both signals exist (default 0.5). */
  vectorWeight?: number;
}

export type SearchHit = {
  chunkId: string;
  documentId: string;
  documentTitle: string;
  ordinal: number;
  content: string;
  /** The PDF page the chunk comes from (1-based); null otherwise. */
  page: number | null;
  /** The headings above the chunk in its DOCX, HTML or Markdown file, outermost first; null otherwise. */
  headings: string[] | null;
  score: number;
  textScore: number | null;
  vectorScore: number | null;
};

/**
 * Hybrid retrieval over the owner's chunks, in one statement:
 *
 * 1. `text`: chunks whose generated `search_vector` matches `websearch_to_tsquery` (quotes,
 *    `or`, `-word` as users type them; it never fails to parse), scored by
 *    `ts_rank(…, 32)` = rank / (rank + 1), which lies in [0, 1).
 * 2. `vector`: the nearest chunks by cosine distance to the query's embedding, scored by cosine
 *    similarity. Empty when the query has no embedding (no model configured) and skipping chunks
 *    whose `embedding` is null, so the statement works on a database without any embeddings.
 * 3. A full outer join of both candidate lists, scored
 *    `(1 − w) · text + w · vector` (a missing signal counts 0), where w is 0 without a query
 *    embedding, so full-text search alone is ranked exactly by ts_rank.
 *
 * Each list is cut to a few times `limit` before the join, which bounds the work per query
 * whatever the size of the corpus.
 *
 * When the query cannot be embedded (the provider down, slow past EMBEDDING_TIMEOUT_MS, an answer
 * of the wrong length), the search degrades to full text, ranked exactly as without a model, and
 * logs a warning: a search that finds by words beats a 500. The answer shows it: every hit's
 * `vectorScore` is null (and the `embedding_failures_total` counter grows).
 */
export function createSearchService({
  db,
  embedQuery,
  logger,
  vectorWeight = 0.5,
}: SearchServiceDependencies) {
  async function embed(ownerId: string, query: string): Promise<number[] | undefined> {
    if (!embedQuery) return undefined;
    try {
      const embedding = await embedQuery(ownerId, query);
      if (embedding.length !== EMBEDDING_DIMENSIONS) {
        throw new Error(
          `query embedding has ${embedding.length} dimensions, expected ${EMBEDDING_DIMENSIONS}`,
        );
      }
      return embedding;
    } catch (error) {
      logger.warn({ err: error }, 'the query could not be embedded: searching full text only');
      return undefined;
    }
  }

  return async function search(ownerId: string, query: string, limit: number): Promise<SearchHit[]> {
    const embedding = await embed(ownerId, query);
    const vector = embedding ? `[${embedding.join(',')}]` : null;
    const weight = embedding ? vectorWeight : 0;
    const candidates = Math.min(limit * 4, 200);

    const result = await db.execute<SearchHit>(sql`
      with query as (
        select websearch_to_tsquery('english', ${query}) as tsquery, ${vector}::vector as embedding
      ),
      text_matches as (
        select c.id, ts_rank(c.search_vector, q.tsquery, 32)::float8 as score
        from chunks c join documents d on d.id = c.document_id, query q
        where d.owner_id = ${ownerId} and c.search_vector @@ q.tsquery
        order by score desc
        limit ${candidates}
      ),
      vector_matches as (
        select c.id, 1 - (c.embedding <=> q.embedding) as score
        from chunks c join documents d on d.id = c.document_id, query q
        where q.embedding is not null and c.embedding is not null and d.owner_id = ${ownerId}
        order by c.embedding <=> q.embedding
        limit ${candidates}
      ),
      fused as (
        select coalesce(t.id, v.id) as id, t.score as text_score, v.score as vector_score,
          (1 - ${weight}::float8) * coalesce(t.score, 0) + ${weight}::float8 * coalesce(v.score, 0) as score
        from text_matches t full outer join vector_matches v on v.id = t.id
      )
      select f.id as "chunkId", c.document_id as "documentId", d.title as "documentTitle",
        c.ordinal, c.content, (c.metadata ->> 'page')::int as page, c.metadata -> 'headings' as headings,
        f.score, f.text_score as "textScore", f.vector_score as "vectorScore"
      from fused f join chunks c on c.id = f.id join documents d on d.id = c.document_id
      order by f.score desc, f.id
      limit ${limit}
    `);
    return result.rows;
  };
}

export type Search = ReturnType<typeof createSearchService>;
