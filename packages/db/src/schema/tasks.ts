import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';

export const taskStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/**
 * The durable record of a background job. The queue (Redis) is the transport; this row is what
 * users and operators read, and it outlives the job's bounded retention in Redis.
 * A task's id is also its BullMQ job id, so enqueueing it twice is a no-op.
 */
export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    ownerId: text('owner_id').notNull(),
    type: text('type').notNull(),
    status: text('status', { enum: taskStatuses }).notNull().default('queued'),
    input: jsonb('input').notNull(),
    result: jsonb('result'),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    idempotencyKey: text('idempotency_key'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    ...timestamps,
  },
  (table) => [
    check(
      'tasks_status_check',
      sql`${table.status} in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`,
    ),
    // NULL keys are distinct in Postgres, so tasks without a key never collide.
    uniqueIndex('tasks_owner_idempotency_key_unique').on(table.ownerId, table.idempotencyKey),
    index('tasks_owner_created_idx').on(table.ownerId, table.createdAt.desc(), table.id.desc()),
    // Maintenance looks for old finished tasks and tasks stuck in `running`.
    index('tasks_status_updated_idx').on(table.status, table.updatedAt),
    // Deleting a document finds its ingestion tasks (to cancel them) by the id in their input.
    index('tasks_input_document_idx').on(sql`(input ->> 'documentId')`),
    // An owner's open tasks of a kind, counted at every enqueue (their place in the owner's line
    // is the job's queue priority: fairness between owners) and by the open-agent-runs quota.
    // Partial: only the few open rows are indexed, never the owner's whole history.
    index('tasks_owner_type_open_idx')
      .on(table.ownerId, table.type)
      .where(sql`${table.status} in ('queued', 'running')`),
  ],
);

export type Task = typeof tasks.$inferSelect;
export type NewTask = typeof tasks.$inferInsert;
