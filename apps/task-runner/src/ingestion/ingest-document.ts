import { chunks, documents, type ChunkMetadata, type Database } from '@repo/db';
import { EmbeddingDimensionsError, type Embedder } from '@repo/embeddings';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Section } from '../conversion/sections.ts';
import { transactions, type Connection } from '../support/connection-statements.ts';
import type { DocumentFiles } from './document-files.ts';
import { splitText, type SplitOptions } from './text-splitter.ts';

export type IngestOutcome =
  | { status: 'ready'; chunkCount: number }
  /** The document was deleted (or never committed): nothing to do, and nothing to retry. */
  | { status: 'skipped'; reason: 'document-not-found' };

export interface IngestOptions extends SplitOptions {
  signal?: AbortSignal;
  /**
   * Runs inside the transaction, last, with the outcome and the transaction's connection: the job
   * records its task's success there (JobContext.succeedTaskIn), so the chunks and the task's
   * outcome commit together.
   */
  settle?: (connection: Connection, outcome: IngestOutcome) => Promise<void>;
}

const documentId = sql.placeholder('documentId');

/**
 * The statements of one ingestion, named (Postgres parses and plans each once per connection, not
 * once per document) and prepared once per connection (see `transactions`).
 */
function ingestionStatements(connection: Connection) {
  const inserted = connection.$with('inserted').as(
    connection
      .insert(chunks)
      .select(
        // Columns in table order: id, document_id, ordinal, content, metadata, embedding. The
        // metadata travel as a jsonb[] beside the texts (null elements for text posted as JSON).
        sql`select ${chunks.id.default}, ${documentId}::uuid, piece.ordinality - 1, piece.content, piece.metadata, null
            from unnest(${sql.placeholder('contents')}::text[], ${sql.placeholder('metadata')}::jsonb[])
                 with ordinality as piece(content, metadata, ordinality)`,
      )
      .returning({ id: chunks.id }),
  );
  // The same insert with each chunk's vector, a third parallel array (pgvector's `vector[]`, each
  // element in its text form '[0.1,…]'). A statement of its own, so the one above — all a stack
  // without embeddings ever runs — is unchanged.
  const insertedWithEmbeddings = connection.$with('inserted').as(
    connection
      .insert(chunks)
      .select(
        sql`select ${chunks.id.default}, ${documentId}::uuid, piece.ordinality - 1, piece.content, piece.metadata, piece.embedding
            from unnest(${sql.placeholder('contents')}::text[], ${sql.placeholder('metadata')}::jsonb[], ${sql.placeholder('embeddings')}::vector[])
                 with ordinality as piece(content, metadata, embedding, ordinality)`,
      )
      .returning({ id: chunks.id }),
  );
  const markReady = {
    status: 'ready' as const,
    error: null,
    content: sql`coalesce(${sql.placeholder('content')}::text, ${documents.content})`,
    updatedAt: sql`${sql.placeholder('now')}`,
  };
  return {
    lockDocument: connection
      .select({ content: documents.content, objectKey: documents.objectKey })
      .from(documents)
      .where(eq(documents.id, documentId))
      .for('update')
      .prepare('ingest_lock_document'),
    deleteChunks: connection
      .delete(chunks)
      .where(eq(chunks.documentId, documentId))
      .prepare('ingest_delete_chunks'),
    /**
     * Every chunk, and the document marked ready, in one statement whatever the number of chunks:
     * the texts travel as one array parameter and `unnest … with ordinality` numbers them (no
     * batches under Postgres' 65 535-parameter limit, one statement text whatever the chunk
     * count). The insert runs as a data-modifying CTE of the document's update. A converted
     * file's text becomes the document's content (to read it back, e.g. the get_document tool);
     * a text document keeps its own (`content` null).
     */
    storeChunks: connection
      .with(inserted)
      .update(documents)
      .set(markReady)
      .where(eq(documents.id, documentId))
      .prepare('ingest_store_chunks'),
    storeEmbeddedChunks: connection
      .with(insertedWithEmbeddings)
      .update(documents)
      .set(markReady)
      .where(eq(documents.id, documentId))
      .prepare('ingest_store_embedded_chunks'),
  };
}

/** What an attempt stores when it was worked out before the transaction (a file's text, vectors). */
interface Prepared {
  pieces: Pieces;
  /** A converted file's text, which becomes the document's content; null for a text document. */
  content: string | null;
  /** Each piece's vector in pgvector's text form, when an embedding model is configured. */
  embeddings?: string[];
}

/**
 * Splits documents into chunks (embedded when an embedding model is given) and marks them ready,
 * each in one transaction. An uploaded file (a document with an object key) is read and converted
 * outside any transaction, holding no lock while that takes seconds; its text is split section by
 * section, so every chunk names its page or headings.
 *
 * Idempotent by construction: the document row is locked, its chunks are replaced rather than
 * appended, and (document_id, ordinal) is unique. Running it twice — a retry, or at-least-once
 * delivery after a stalled worker — leaves exactly one set of chunks.
 *
 * Cancellable: a run whose time is up (`signal` aborted) throws and rolls back. It checks once
 * the row lock is granted — the run may have waited for it long after it was given up — and
 * again right before the commit.
 */
export function documentIngestion(db: Database, files?: DocumentFiles, embedder?: Embedder) {
  const transaction = transactions(db.$client, ingestionStatements);
  // Read without a lock, only with an embedding model: what to embed, and for whom.
  const readSource = db
    .select({ content: documents.content, objectKey: documents.objectKey, ownerId: documents.ownerId })
    .from(documents)
    .where(eq(documents.id, documentId))
    .prepare('ingest_read_source');
  /**
   * One attempt. Without `prepared`, a document that turns out to be a file returns its object
   * key instead of chunks, and the caller converts it and tries again: a text document so runs the
   * same three statements it always did, and a file pays one extra short transaction.
   */
  const attempt = (id: string, options: IngestOptions, prepared?: Prepared) =>
    transaction(async (connection, statements): Promise<IngestOutcome | { objectKey: string }> => {
      const { signal, settle, ...split } = options;
      const [document] = await statements.lockDocument.execute({ documentId: id });
      signal?.throwIfAborted();
      let outcome: IngestOutcome;
      if (document) {
        if (document.objectKey !== null && !prepared) return { objectKey: document.objectKey };
        const pieces = prepared?.pieces ?? textPieces(document.content, split);
        signal?.throwIfAborted();
        await statements.deleteChunks.execute({ documentId: id });
        const values = {
          documentId: id,
          contents: pieces.contents,
          metadata: pieces.metadata,
          content: prepared?.content ?? null,
          now: new Date(),
        };
        if (prepared?.embeddings) {
          await statements.storeEmbeddedChunks.execute({ ...values, embeddings: prepared.embeddings });
        } else {
          await statements.storeChunks.execute(values);
        }
        outcome = { status: 'ready', chunkCount: pieces.contents.length };
      } else {
        outcome = { status: 'skipped', reason: 'document-not-found' };
      }
      await settle?.(connection, outcome);
      signal?.throwIfAborted();
      return outcome;
    });
  const convert = async (objectKey: string, options: IngestOptions): Promise<Prepared> => {
    if (!files) throw new Error('documentIngestion: an uploaded file needs its files reader');
    const { signal, settle: _settle, ...split } = options;
    const sections = await files(objectKey, signal);
    return {
      pieces: sectionPieces(sections, split),
      content: sections.map((section) => section.text).join('\n\n'),
    };
  };
  const settled = (outcome: IngestOutcome | { objectKey: string }): IngestOutcome => {
    if ('objectKey' in outcome) throw new Error('documentIngestion: the converted file was not stored');
    return outcome;
  };
  /**
   * With an embedding model: the text (a file converted first) is split and embedded before the
   * transaction, so no row lock is held during the model's HTTP calls (seconds, or a timeout),
   * and the one transaction then stores chunks with their vectors, the document's status and the
   * task's outcome together, as without one. Reading the source unlocked is safe: a document's
   * text never changes once created, and the locked transaction still decides (a document
   * deleted meanwhile is skipped; a re-delivery replaces the chunks). A provider error fails the
   * attempt before anything is written: the job's retries try again, and the last one marks the
   * document failed with the reason.
   */
  const withEmbeddings = async (
    model: Embedder,
    id: string,
    options: IngestOptions,
  ): Promise<IngestOutcome> => {
    const [source] = await readSource.execute({ documentId: id });
    if (!source) return settled(await attempt(id, options)); // gone: the transaction settles it as skipped
    const prepared: Prepared =
      source.objectKey !== null
        ? await convert(source.objectKey, options)
        : { pieces: textPieces(source.content, options), content: null };
    const vectors = await model
      .embed(source.ownerId, prepared.pieces.contents, options.signal)
      .catch((error: unknown) => {
        options.signal?.throwIfAborted();
        if (error instanceof EmbeddingDimensionsError) throw error;
        // The reason the owner reads on a document that failed: say which step and which model.
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`embedding the chunks with ${model.model} failed: ${reason}`, { cause: error });
      });
    const embeddings = vectors.map((vector) => `[${vector.join(',')}]`);
    return settled(await attempt(id, options, { ...prepared, embeddings }));
  };
  return async (id: string, options: IngestOptions): Promise<IngestOutcome> => {
    options.signal?.throwIfAborted();
    if (embedder) return withEmbeddings(embedder, id, options);
    const first = await attempt(id, options);
    if (!('objectKey' in first)) return first;
    return settled(await attempt(id, options, await convert(first.objectKey, options)));
  };
}

/** Chunk texts and their metadata, as the two parallel arrays the insert unnests. */
interface Pieces {
  contents: string[];
  /** Each chunk's metadata as JSON text, or null: node-postgres sends them as a jsonb[]. */
  metadata: (string | null)[];
}

function textPieces(content: string, split: SplitOptions): Pieces {
  const contents = splitText(content, split);
  return { contents, metadata: contents.map(() => null) };
}

function sectionPieces(sections: Section[], split: SplitOptions): Pieces {
  const pieces: Pieces = { contents: [], metadata: [] };
  for (const section of sections) {
    const metadata = metadataOf(section);
    const json = metadata ? JSON.stringify(metadata) : null;
    for (const content of splitText(section.text, split)) {
      pieces.contents.push(content);
      pieces.metadata.push(json);
    }
  }
  return pieces;
}

function metadataOf(section: Section): ChunkMetadata | null {
  if (section.page !== undefined) return { page: section.page };
  if (section.headings !== undefined) return { headings: section.headings };
  return null;
}

/** Records a final failure on the document, so its owner sees why it will never be ready. */
export async function markDocumentFailed(db: Database, documentId: string, error: string): Promise<void> {
  await db
    .update(documents)
    .set({ status: 'failed', error, updatedAt: new Date() })
    .where(eq(documents.id, documentId));
}

/**
 * A status hint for the document's owner. It skips a row that is locked — another run is
 * ingesting the document right now — instead of queueing behind it: a write queued on the row
 * would land whenever that lock is released, possibly after this run was given up and the
 * document marked failed, and move it back to `processing`. Prepared once per pool: every
 * ingestion runs it.
 */
export function documentProcessingMarker(db: Database): (documentId: string) => Promise<void> {
  const unlocked = db
    .select({ id: documents.id })
    .from(documents)
    .where(eq(documents.id, documentId))
    .for('update', { skipLocked: true });
  const statement = db
    .update(documents)
    .set({ status: 'processing', updatedAt: sql`${sql.placeholder('now')}` })
    .where(inArray(documents.id, unlocked))
    .prepare('document_processing');
  return async (id) => {
    await statement.execute({ documentId: id, now: new Date() });
  };
}
