import { chunks, documents, type ChunkMetadata, type Database } from '@repo/db';
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
      .set({
        status: 'ready',
        error: null,
        content: sql`coalesce(${sql.placeholder('content')}::text, ${documents.content})`,
        updatedAt: sql`${sql.placeholder('now')}`,
      })
      .where(eq(documents.id, documentId))
      .prepare('ingest_store_chunks'),
  };
}

/**
 * Splits documents into chunks and marks them ready, each in one transaction. An uploaded file
 * (a document with an object key) is read and converted between two transactions, holding no
 * lock while that takes seconds; its text is split section by section, so every chunk names its
 * page or headings.
 *
 * Idempotent by construction: the document row is locked, its chunks are replaced rather than
 * appended, and (document_id, ordinal) is unique. Running it twice — a retry, or at-least-once
 * delivery after a stalled worker — leaves exactly one set of chunks.
 *
 * Cancellable: a run whose time is up (`signal` aborted) throws and rolls back. It checks once
 * the row lock is granted — the run may have waited for it long after it was given up — and
 * again right before the commit.
 */
export function documentIngestion(db: Database, files?: DocumentFiles) {
  const transaction = transactions(db.$client, ingestionStatements);
  /**
   * One attempt. Without `converted`, a document that turns out to be a file returns its object
   * key instead of chunks, and the caller converts it and tries again: a text document so runs the
   * same three statements it always did, and a file pays one extra short transaction.
   */
  const attempt = (id: string, options: IngestOptions, converted?: Section[]) =>
    transaction(async (connection, statements): Promise<IngestOutcome | { objectKey: string }> => {
      const { signal, settle, ...split } = options;
      const [document] = await statements.lockDocument.execute({ documentId: id });
      signal?.throwIfAborted();
      let outcome: IngestOutcome;
      if (document) {
        if (document.objectKey !== null && !converted) return { objectKey: document.objectKey };
        const pieces = converted ? sectionPieces(converted, split) : textPieces(document.content, split);
        signal?.throwIfAborted();
        await statements.deleteChunks.execute({ documentId: id });
        await statements.storeChunks.execute({
          documentId: id,
          contents: pieces.contents,
          metadata: pieces.metadata,
          content: converted ? converted.map((section) => section.text).join('\n\n') : null,
          now: new Date(),
        });
        outcome = { status: 'ready', chunkCount: pieces.contents.length };
      } else {
        outcome = { status: 'skipped', reason: 'document-not-found' };
      }
      await settle?.(connection, outcome);
      signal?.throwIfAborted();
      return outcome;
    });
  return async (id: string, options: IngestOptions): Promise<IngestOutcome> => {
    options.signal?.throwIfAborted();
    const first = await attempt(id, options);
    if (!('objectKey' in first)) return first;
    if (!files) throw new Error('documentIngestion: an uploaded file needs its files reader');
    const converted = await files(first.objectKey, options.signal);
    const second = await attempt(id, options, converted);
    if ('objectKey' in second) throw new Error('documentIngestion: the converted file was not stored');
    return second;
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
