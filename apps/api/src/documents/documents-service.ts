import { createHash } from 'node:crypto';
import {
  countOpenTasks,
  documents,
  OPEN_TASK_STATUSES,
  prepareFlatSelect,
  tasks,
  type Database,
  type DocumentStatus,
  type NewDocument,
} from '@repo/db';
import { conflict, serviceUnavailable } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Producer } from '@repo/queue';
import type { ObjectStorage } from '@repo/storage';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { after, cursorTime, toPage, type Position } from '../http/pagination.ts';
import { returnDocument, storedBytesOfRow, takeDocument, type QuotaDefaults } from '../quotas/quotas.ts';
import type { StopJob } from '../tasks/job-control.ts';
import { discardObject } from './document-files.ts';

export interface DocumentsServiceDependencies {
  db: Database;
  producer: Producer;
  stopJob: StopJob;
  logger: Logger;
  /** Uploaded files; undefined without S3_BUCKET. */
  storage?: ObjectStorage | undefined;
  /** The document and stored-bytes quotas (QUOTA_* defaults, per-owner overrides in Postgres). */
  quotas: QuotaDefaults;
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
  /** The uploaded file the document was made from; null for text sent as JSON. */
  file: { name: string; mediaType: string; size: number } | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A document's row, as `store` inserts it (without owner and idempotency columns). */
export type DocumentValues = Pick<
  NewDocument,
  'title' | 'content' | 'contentHash' | 'objectKey' | 'fileName' | 'mediaType' | 'byteSize'
> & { id?: string };

export interface CreateResult {
  id: string;
  /** True when an earlier request with the same Idempotency-Key and body already created it. */
  replayed: boolean;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A new document's bytes against the quota, measured as `storedBytesOfRow` measures a stored one. */
const storedBytes = (values: DocumentValues) => values.byteSize ?? Buffer.byteLength(values.content, 'utf8');

const view = {
  id: documents.id,
  title: documents.title,
  status: documents.status,
  error: documents.error,
  createdAt: documents.createdAt,
  updatedAt: documents.updatedAt,
  // Spelled out: drizzle renders ${documents.id} unqualified, which would mean chunks.id in here.
  chunkCount: sql<number>`(select count(*)::int from chunks where chunks.document_id = documents.id)`,
  file: sql<
    DocumentView['file']
  >`case when documents.object_key is null then null else json_build_object('name', documents.file_name, 'mediaType', documents.media_type, 'size', documents.byte_size) end`,
};

/**
 * The list query, prepared once per variant (with or without a status filter, a cursor): built by
 * drizzle once instead of on every request, and sent as a named statement, which Postgres parses
 * and plans once per connection instead of on every request. Its rows are decoded by a mapping
 * built once from the selection (@repo/db's `prepareFlatSelect`), not drizzle's per-cell walk.
 */
function prepareList(db: Database, filtered: boolean, paged: boolean) {
  const select = db
    .select({ ...view, cursorTime: cursorTime(documents.createdAt) })
    .from(documents)
    .where(
      and(
        eq(documents.ownerId, sql.placeholder('ownerId')),
        filtered ? eq(documents.status, sql.placeholder('status')) : undefined,
        paged
          ? after(documents.createdAt, documents.id, {
              createdAt: sql.placeholder('cursorCreatedAt'),
              id: sql.placeholder('cursorId'),
            })
          : undefined,
      ),
    )
    .orderBy(desc(documents.createdAt), desc(documents.id))
    .limit(sql.placeholder('limit'));
  return prepareFlatSelect(db, select, `documents_list${filtered ? '_status' : ''}${paged ? '_after' : ''}`);
}

export function createDocumentsService({
  db,
  producer,
  stopJob,
  logger,
  storage,
  quotas,
}: DocumentsServiceDependencies) {
  const lists = [false, true].map((filtered) =>
    [false, true].map((paged) => prepareList(db, filtered, paged)),
  );
  const service = {
    /**
     * Stores the document and its task, then enqueues the ingestion job.
     *
     * Order matters: the rows are committed first, so a worker never picks up a job whose
     * document it cannot see yet. If enqueueing fails (Redis down), the rows are deleted again and
     * the caller gets 503: there is never a document without its job. A job without its document
     * (enqueue succeeded but the answer was lost) is harmless: the processor skips it.
     *
     * With an idempotency key, the insert and the lookup of an earlier request are one statement
     * pair in one transaction, arbitrated by the unique (owner_id, idempotency_key) index: of two
     * concurrent requests with the same key exactly one inserts, the other waits for it and then
     * finds its row. A replay touches neither the queue nor the rows. Because a failed enqueue
     * deletes the rows, the key is free again for the client's retry.
     *
     * An uploaded file is in object storage before this runs (its key in `values.objectKey`):
     * whenever no document ends up referring to it — a replay, a conflict, a failed enqueue — it
     * is deleted again (and if that fails too, the maintenance job sweeps it).
     */
    async store(
      ownerId: string,
      values: DocumentValues,
      request: { requestHash: string; idempotencyKey?: string | undefined },
    ): Promise<CreateResult> {
      const { idempotencyKey } = request;
      const objectKey = values.objectKey ?? undefined;
      const bytes = storedBytes(values);
      let stored;
      try {
        stored = await db.transaction(async (tx) => {
          const replay = async () => {
            const [earlier] = await tx
              .select({ id: documents.id, requestHash: documents.requestHash })
              .from(documents)
              .where(and(eq(documents.ownerId, ownerId), eq(documents.idempotencyKey, idempotencyKey!)));
            if (!earlier) return undefined;
            if (earlier.requestHash !== request.requestHash) {
              throw conflict(
                'This Idempotency-Key was already used with a different request body. Use a new key for a new document.',
                'urn:keelson:problem:idempotency-key-reused',
              );
            }
            return { replayed: true as const, documentId: earlier.id };
          };
          // A replay takes no quota, so it is answered before the quota is taken.
          if (idempotencyKey !== undefined) {
            const earlier = await replay();
            if (earlier) return earlier;
          }
          // Before the insert: the owner's counters, created on first need, count the documents
          // stored so far, not this one.
          await takeDocument(tx, ownerId, bytes, quotas);
          const row = {
            ...values,
            ownerId,
            idempotencyKey: idempotencyKey ?? null,
            requestHash: idempotencyKey === undefined ? null : request.requestHash,
          };
          const inserted =
            idempotencyKey === undefined
              ? await tx.insert(documents).values(row).returning({ id: documents.id })
              : await tx
                  .insert(documents)
                  .values(row)
                  .onConflictDoNothing({ target: [documents.ownerId, documents.idempotencyKey] })
                  .returning({ id: documents.id });
          const document = inserted[0];
          if (!document) {
            // A concurrent request with the same key stored it first: give the allowance back.
            await returnDocument(tx, ownerId, bytes);
            const earlier = await replay();
            if (!earlier) throw new Error('an idempotency-key conflict without the earlier document');
            return earlier;
          }
          const [task] = await tx
            .insert(tasks)
            .values({ ownerId, type: 'ingest-document', input: { documentId: document.id } })
            .returning({ id: tasks.id });
          // Its place in the owner's line of ingestions (this one included), counted while the
          // owner's counters row is locked: the job's queue priority, so owners take turns.
          const ownerPlace = await countOpenTasks(tx, ownerId, 'ingest-document');
          return { replayed: false as const, documentId: document.id, taskId: task!.id, ownerPlace };
        });
      } catch (error) {
        if (objectKey) await discardObject(storage, objectKey, logger);
        throw error;
      }
      if (stored.replayed) {
        // The first request's document has its own object; this one's copy is not needed.
        if (objectKey) await discardObject(storage, objectKey, logger);
        return { id: stored.documentId, replayed: true };
      }

      const { documentId, taskId, ownerPlace } = stored;
      try {
        await producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId, ownerPlace });
      } catch (error) {
        logger.warn({ err: error, documentId }, 'enqueue failed; removing the document');
        await db.transaction(async (tx) => {
          await tx.delete(tasks).where(eq(tasks.id, taskId));
          await returnDocument(tx, ownerId, bytes);
          await tx.delete(documents).where(eq(documents.id, documentId));
        });
        if (objectKey) await discardObject(storage, objectKey, logger);
        throw serviceUnavailable('The job queue is unavailable; nothing was stored. Retry later.');
      }
      return { id: documentId, replayed: false };
    },

    /** A document from text (the JSON body of `POST /v1/documents`). */
    async create(ownerId: string, input: NewDocumentInput, idempotencyKey?: string): Promise<CreateResult> {
      return service.store(
        ownerId,
        { title: input.title, content: input.content, contentHash: sha256(input.content) },
        // The body as validated (title trimmed): the same document sent twice hashes the same.
        { requestHash: sha256(JSON.stringify([input.title, input.content])), idempotencyKey },
      );
    },

    /** Another owner's document is reported exactly like a missing one. */
    async get(ownerId: string, id: string): Promise<DocumentView | undefined> {
      const [row] = await db
        .select(view)
        .from(documents)
        .where(and(eq(documents.id, id), eq(documents.ownerId, ownerId)));
      return row;
    },

    /** The same, with the document's text (for the `get_document` MCP tool). */
    async getWithContent(
      ownerId: string,
      id: string,
    ): Promise<(DocumentView & { content: string }) | undefined> {
      const [row] = await db
        .select({ ...view, content: documents.content })
        .from(documents)
        .where(and(eq(documents.id, id), eq(documents.ownerId, ownerId)));
      return row;
    },

    /** Newest first, `limit` at a time; see http/pagination.ts for why the cursor is a keyset. */
    async list(
      ownerId: string,
      options: { limit: number; cursor?: Position | undefined; status?: DocumentStatus },
    ) {
      const list = lists[options.status ? 1 : 0]![options.cursor ? 1 : 0]!;
      const rows = await list.execute({
        ownerId,
        status: options.status,
        cursorCreatedAt: options.cursor?.createdAt,
        cursorId: options.cursor?.id,
        limit: options.limit + 1,
      });
      return toPage(rows, options.limit);
    },

    /**
     * Deletes the document; its chunks go with it (foreign key, on delete cascade). Its open
     * ingestion task is marked cancelled in the same transaction, then its job is removed from the
     * queue (or, if already running, signalled), and its uploaded file deleted from storage. Redis
     * being down does not block a delete: a job whose task is cancelled or whose document is gone
     * is skipped by the runner.
     */
    async delete(ownerId: string, id: string): Promise<boolean> {
      const outcome = await db.transaction(async (tx) => {
        const [existing] = await tx
          .select({ bytes: storedBytesOfRow })
          .from(documents)
          .where(and(eq(documents.id, id), eq(documents.ownerId, ownerId)))
          .for('update');
        if (!existing) return undefined;
        // Before the delete, so counters created here count this document, then give it back.
        await returnDocument(tx, ownerId, existing.bytes);
        const [deleted] = await tx
          .delete(documents)
          .where(and(eq(documents.id, id), eq(documents.ownerId, ownerId)))
          .returning({ id: documents.id, objectKey: documents.objectKey });
        if (!deleted) return undefined;
        const now = new Date();
        const cancelled = await tx
          .update(tasks)
          .set({ status: 'cancelled', error: 'document deleted', finishedAt: now, updatedAt: now })
          .where(
            and(
              eq(tasks.ownerId, ownerId),
              eq(tasks.type, 'ingest-document'),
              sql`(${tasks.input} ->> 'documentId') = ${id}`,
              inArray(tasks.status, OPEN_TASK_STATUSES),
            ),
          )
          .returning({ id: tasks.id, type: tasks.type });
        return { cancelled, objectKey: deleted.objectKey };
      });
      if (!outcome) return false;
      for (const task of outcome.cancelled) await stopJob(task.type, task.id);
      // After the commit: a file whose row is gone is never served again, whether or not this
      // delete reaches the storage server (if not, the maintenance job sweeps it).
      if (outcome.objectKey) await discardObject(storage, outcome.objectKey, logger);
      return true;
    },

    /** Where an uploaded document's file is stored; undefined for a missing (or another owner's) document. */
    async fileOf(
      ownerId: string,
      id: string,
    ): Promise<{ objectKey: string | null; fileName: string | null; mediaType: string | null } | undefined> {
      const [row] = await db
        .select({
          objectKey: documents.objectKey,
          fileName: documents.fileName,
          mediaType: documents.mediaType,
        })
        .from(documents)
        .where(and(eq(documents.id, id), eq(documents.ownerId, ownerId)));
      return row;
    },
  };
  return service;
}

export type DocumentsService = ReturnType<typeof createDocumentsService>;
