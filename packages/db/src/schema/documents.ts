import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';

export const documentStatuses = ['queued', 'processing', 'ready', 'failed'] as const;
export type DocumentStatus = (typeof documentStatuses)[number];

export const documents = pgTable(
  'documents',
  {
    id: id(),
    ownerId: text('owner_id').notNull(),
    title: text('title').notNull(),
    // The source text is kept so ingestion can be re-run (new splitter, new embeddings) and so a
    // job payload carries only an id, never the document itself. For an uploaded file it is the
    // text the task-runner converted the file to (empty until then).
    content: text('content').notNull(),
    contentHash: text('content_hash').notNull(),
    // Text plus a CHECK rather than a Postgres enum: adding a status later is a one-line migration.
    status: text('status', { enum: documentStatuses }).notNull().default('queued'),
    error: text('error'),
    // `Idempotency-Key` of the request that created the document, and a hash of that request's
    // body: a retry with the same key and body finds this row instead of creating another, and
    // the same key with another body is told apart. Both null for requests without a key.
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    // An uploaded file (all four null for a document posted as text): the original stays in object
    // storage under `object_key`; `media_type` is what its content was recognized as at upload.
    objectKey: text('object_key'),
    fileName: text('file_name'),
    mediaType: text('media_type'),
    byteSize: bigint('byte_size', { mode: 'number' }),
    ...timestamps,
  },
  (table) => [
    check('documents_status_check', sql`${table.status} in ('queued', 'processing', 'ready', 'failed')`),
    // Serves "this owner's documents, newest first" and its keyset cursor.
    index('documents_owner_created_idx').on(table.ownerId, table.createdAt.desc(), table.id.desc()),
    // Keys are per owner: two owners may pick the same key. NULL keys are distinct in Postgres.
    uniqueIndex('documents_owner_idempotency_key_unique').on(table.ownerId, table.idempotencyKey),
    // One document per stored object; maintenance asks "is this key still referenced?" by it.
    uniqueIndex('documents_object_key_unique').on(table.objectKey),
  ],
);

export type Document = typeof documents.$inferSelect;
export type NewDocument = typeof documents.$inferInsert;
