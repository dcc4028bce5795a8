import { chunks, documents, type Database } from '@repo/db';
import { eq, inArray } from 'drizzle-orm';
import { splitText, type SplitOptions } from './text-splitter.ts';

export type IngestOutcome =
  | { status: 'ready'; chunkCount: number }
  /** The document was deleted (or never committed): nothing to do, and nothing to retry. */
  | { status: 'skipped'; reason: 'document-not-found' };

/**
 * Splits a document into chunks and marks it ready, in one transaction.
 *
 * Idempotent by construction: the document row is locked, its chunks are replaced rather than
 * appended, and (document_id, ordinal) is unique. Running it twice — a retry, or at-least-once
 * redelivery after a worker died — leaves exactly one set of chunks.
 *
 * An aborted run (timed out, cancelled, handed back) never commits: the signal is checked after
 * the row lock is granted — the run may have waited for it long after it was given up — and
 * again right before the commit.
 */
export async function ingestDocument(
  db: Database,
  documentId: string,
  options: SplitOptions & { signal?: AbortSignal },
): Promise<IngestOutcome> {
  const { signal } = options;
  signal?.throwIfAborted();
  return db.transaction(async (tx) => {
    const [document] = await tx
      .select({ content: documents.content })
      .from(documents)
      .where(eq(documents.id, documentId))
      .for('update');
    signal?.throwIfAborted();
    if (!document) return { status: 'skipped', reason: 'document-not-found' };

    const pieces = splitText(document.content, options);
    signal?.throwIfAborted();

    await tx.delete(chunks).where(eq(chunks.documentId, documentId));
    // Insert in batches: one statement per chunk would be slow; one statement for thousands of
    // chunks would exceed Postgres' 65535 bind-parameter limit.
    for (let start = 0; start < pieces.length; start += 500) {
      await tx
        .insert(chunks)
        .values(
          pieces.slice(start, start + 500).map((content, i) => ({ documentId, ordinal: start + i, content })),
        );
      signal?.throwIfAborted();
    }
    await tx
      .update(documents)
      .set({ status: 'ready', error: null, updatedAt: new Date() })
      .where(eq(documents.id, documentId));
    return { status: 'ready', chunkCount: pieces.length };
  });
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
 * document marked failed, and move it back to `processing`.
 */
export async function markDocumentProcessing(db: Database, documentId: string): Promise<void> {
  const unlocked = db
    .select({ id: documents.id })
    .from(documents)
    .where(eq(documents.id, documentId))
    .for('update', { skipLocked: true });
  await db
    .update(documents)
    .set({ status: 'processing', updatedAt: new Date() })
    .where(inArray(documents.id, unlocked));
}
