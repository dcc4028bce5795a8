import { chunks, documents, type ChunkMetadata, type Database } from '@repo/db';
import { eq, inArray } from 'drizzle-orm';
import type { Section } from '../conversion/sections.ts';
import type { DocumentFiles } from './document-files.ts';
import { splitText, type SplitOptions } from './text-splitter.ts';

export type IngestOutcome =
  | { status: 'ready'; chunkCount: number }
  /** The document was deleted (or never committed): nothing to do, and nothing to retry. */
  | { status: 'skipped'; reason: 'document-not-found' };

export interface IngestOptions extends SplitOptions {
  signal?: AbortSignal;
  /** Reads and converts an uploaded file (documents with an object key). */
  files?: DocumentFiles;
}

/**
 * Splits a document into chunks and marks it ready, in one transaction. An uploaded file is
 * converted first (outside the transaction: it takes seconds, and holds no lock meanwhile); its
 * text is split section by section, so every chunk names its page or heading, and the text is
 * stored as the document's content.
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
  options: IngestOptions,
): Promise<IngestOutcome> {
  const { signal } = options;
  signal?.throwIfAborted();
  const [source] = await db
    .select({ objectKey: documents.objectKey })
    .from(documents)
    .where(eq(documents.id, documentId));
  if (!source) return { status: 'skipped', reason: 'document-not-found' };
  let converted: Section[] | undefined;
  if (source.objectKey !== null) {
    if (!options.files) throw new Error('ingestDocument: an uploaded file needs options.files');
    converted = await options.files(source.objectKey, signal);
  }

  return db.transaction(async (tx) => {
    const [document] = await tx
      .select({ content: documents.content })
      .from(documents)
      .where(eq(documents.id, documentId))
      .for('update');
    signal?.throwIfAborted();
    if (!document) return { status: 'skipped', reason: 'document-not-found' };

    const pieces: { content: string; metadata: ChunkMetadata | null }[] = converted
      ? converted.flatMap((section) => {
          const metadata = metadataOf(section);
          return splitText(section.text, options).map((content) => ({ content, metadata }));
        })
      : splitText(document.content, options).map((content) => ({ content, metadata: null }));
    signal?.throwIfAborted();

    await tx.delete(chunks).where(eq(chunks.documentId, documentId));
    // Insert in batches: one statement per chunk would be slow; one statement for thousands of
    // chunks would exceed Postgres' 65535 bind-parameter limit.
    for (let start = 0; start < pieces.length; start += 500) {
      await tx
        .insert(chunks)
        .values(
          pieces
            .slice(start, start + 500)
            .map((piece, i) => ({ documentId, ordinal: start + i, ...piece })),
        );
      signal?.throwIfAborted();
    }
    await tx
      .update(documents)
      .set({
        status: 'ready',
        error: null,
        updatedAt: new Date(),
        // The converted text, for reading a file document back (e.g. the get_document tool).
        ...(converted ? { content: converted.map((section) => section.text).join('\n\n') } : {}),
      })
      .where(eq(documents.id, documentId));
    return { status: 'ready', chunkCount: pieces.length };
  });
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
