import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { conversations } from './conversations.ts';
import { tasks } from './tasks.ts';

export const runStatuses = [
  'queued',
  'running',
  'awaiting_approval',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof runStatuses)[number];

/** A run in one of these holds its conversation: no second run starts until it ends. */
export const activeRunStatuses = ['queued', 'running', 'awaiting_approval'] as const;
export const finalRunStatuses = ['succeeded', 'failed', 'cancelled'] as const;

/**
 * One agent turn (an interactive message or a background agent-run task) as a durable object:
 * its state, what it cost, and — in `run_events` — everything it streamed. The agent that
 * executes it holds a lease (`lease_owner`, renewed until `lease_expires_at`); a run whose lease
 * ran out is failed by the task-runner's reaper, so no run stays `running` after its agent died.
 */
export const runs = pgTable(
  'runs',
  {
    id: id(),
    ownerId: text('owner_id').notNull(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    // Set when a background agent-run task started the run; the task may be purged before it.
    taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    // Text plus a CHECK, like every status column here: a new status is a one-line migration.
    status: text('status', { enum: runStatuses }).notNull().default('queued'),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    // Messages of the same conversation, which go with it (cascade), as the run does. No foreign
    // key: deleting a conversation's messages would then look up runs by these unindexed columns.
    userMessageId: uuid('user_message_id'),
    // The final assistant message (the answer), or the partial one a cancelled run stored.
    replyMessageId: uuid('reply_message_id'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    // Model calls so far (one per step: a tool round trip is a step).
    steps: integer('steps').notNull().default(0),
    finishReason: text('finish_reason'),
    // A stable code (cancelled, agent-lost, model-failed, …) and a message safe to show a user:
    // never a provider's own error text, which can quote prompts or credentials.
    errorCode: text('error_code'),
    error: text('error'),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    // The highest event number stored in run_events.
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    ...timestamps,
  },
  (table) => [
    check(
      'runs_status_check',
      sql`${table.status} in ('queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled')`,
    ),
    // One active run per conversation, enforced by Postgres for every replica at once: a second
    // message while a run is active conflicts here (the api answers 409 naming the active run).
    uniqueIndex('runs_one_active_per_conversation')
      .on(table.conversationId)
      .where(sql`${table.status} in ('queued', 'running', 'awaiting_approval')`),
    // A conversation's runs, newest first, and its keyset cursor.
    index('runs_conversation_created_idx').on(table.conversationId, table.createdAt.desc(), table.id.desc()),
    // The reaper's question: which running runs have an expired lease?
    index('runs_running_lease_idx')
      .on(table.leaseExpiresAt)
      .where(sql`${table.status} = 'running'`),
    // A task's runs (cancelling a task cancels its run).
    index('runs_task_idx')
      .on(table.taskId)
      .where(sql`${table.taskId} is not null`),
  ],
);

export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;
