import { createHash } from 'node:crypto';
import { chunks, documents, tasks, type Database, type DocumentStatus } from '@repo/db';
import type { Logger } from '@repo/observability';
import type { Producer } from '@repo/queue';
import { and, count, eq } from 'drizzle-orm';
import { serviceUnavailable } from '../http/problem.ts';

export interface DocumentsServiceDependencies {
  db: Database;
  producer: Producer;
  logger: Logger;
}

export interface NewDocumentInput {
  title: string;
  content: string;
}

export interface DocumentView {
  id: string;
  title: string;
  status: DocumentStatus;
  error: string | null;
  chunkCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export function createDocumentsService({ db, producer, logger }: DocumentsServiceDependencies) {
  return {
    /**
     * Stores the document and its task, then enqueues the ingestion job.
     *
     * Order matters: the rows are committed first, so a worker never picks up a job whose
     * document it cannot see yet. If enqueueing fails (Redis down), the rows are deleted again and
     * the caller gets 503: there is never a document without its job. A job without its document
     * (enqueue succeeded but the answer was lost) is harmless: the processor skips it.
     */
    async create(ownerId: string, input: NewDocumentInput): Promise<{ id: string; status: DocumentStatus }> {
      const contentHash = createHash('sha256').update(input.content).digest('hex');
      const { documentId, taskId } = await db.transaction(async (tx) => {
        const [document] = await tx
          .insert(documents)
          .values({ ownerId, title: input.title, content: input.content, contentHash })
          .returning({ id: documents.id });
        const [task] = await tx
          .insert(tasks)
          .values({ ownerId, type: 'ingest-document', input: { documentId: document!.id } })
          .returning({ id: tasks.id });
        return { documentId: document!.id, taskId: task!.id };
      });

      try {
        await producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId });
      } catch (error) {
        logger.warn({ err: error, documentId }, 'enqueue failed; removing the document');
        await db.transaction(async (tx) => {
          await tx.delete(tasks).where(eq(tasks.id, taskId));
          await tx.delete(documents).where(eq(documents.id, documentId));
        });
        throw serviceUnavailable('The job queue is unavailable; nothing was stored. Retry later.');
      }
      return { id: documentId, status: 'queued' };
    },

    /** Another owner's document is reported exactly like a missing one. */
    async get(ownerId: string, id: string): Promise<DocumentView | undefined> {
      const [row] = await db
        .select({
          id: documents.id,
          title: documents.title,
          status: documents.status,
          error: documents.error,
          createdAt: documents.createdAt,
          updatedAt: documents.updatedAt,
        })
        .from(documents)
        .where(and(eq(documents.id, id), eq(documents.ownerId, ownerId)));
      if (!row) return undefined;
      const [counted] = await db.select({ value: count() }).from(chunks).where(eq(chunks.documentId, id));
      return { ...row, chunkCount: counted?.value ?? 0 };
    },
  };
}

export type DocumentsService = ReturnType<typeof createDocumentsService>;
