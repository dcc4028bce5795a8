import { chunks, documents, type Database } from '@repo/db';
import { eq, inArray, sql } from 'drizzle-orm';
import { transactions, type Connection } from '../support/connection-statements.ts';
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
        sql`select ${chunks.id.default}, ${documentId}::uuid, piece.ordinality - 1, piece.content, null
            from unnest(${sql.placeholder('contents')}::text[]) with ordinality as piece(content, ordinality)`,
      )
      .returning({ id: chunks.id }),
  );
  return {
    lockDocument: connection
      .select({ content: documents.content })
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
     * count). The insert runs as a data-modifying CTE of the document's update.
     */
    storeChunks: connection
      .with(inserted)
      .update(documents)
      .set({ status: 'ready', error: null, updatedAt: sql`${sql.placeholder('now')}` })
      .where(eq(documents.id, documentId))
      .prepare('ingest_store_chunks'),
  };
}

/**
 * Splits documents into chunks and marks them ready, each in one transaction.
 *
 * Idempotent by construction: the document row is locked, its chunks are replaced rather than
 * appended, and (document_id, ordinal) is unique. Running it twice — a retry, or at-least-once
 * redelivery after a worker died — leaves exactly one set of chunks.
 *
 * An aborted run (timed out, cancelled, handed back) never commits: the signal is checked after
 * the row lock is granted — the run may have waited for it long after it was given up — and
 * again right before the commit.
 */
export function documentIngestion(db: Database) {
  const transaction = transactions(db.$client, ingestionStatements);
  return async (id: string, { signal, settle, ...split }: IngestOptions): Promise<IngestOutcome> => {
    signal?.throwIfAborted();
    return transaction(async (connection, statements) => {
      const [document] = await statements.lockDocument.execute({ documentId: id });
      signal?.throwIfAborted();
      let outcome: IngestOutcome;
      if (document) {
        const pieces = splitText(document.content, split);
        signal?.throwIfAborted();
        await statements.deleteChunks.execute({ documentId: id });
        await statements.storeChunks.execute({ documentId: id, contents: pieces, now: new Date() });
        outcome = { status: 'ready', chunkCount: pieces.length };
      } else {
        outcome = { status: 'skipped', reason: 'document-not-found' };
      }
      await settle?.(connection, outcome);
      signal?.throwIfAborted();
      return outcome;
    });
  };
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
