import { sql } from 'drizzle-orm';
import { check, index, integer, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';

export const usageKinds = ['chat', 'summary', 'embedding'] as const;
export type UsageKind = (typeof usageKinds)[number];

/**
 * One model call's tokens, charged to an owner: a step of an agent run (each round trip of the
 * tool loop is a call), a conversation summary, an embedding. Written where the call happens, in
 * the same statement as the run's events for a run's steps.
 *
 * `run_id` and `conversation_id` carry no foreign key on purpose: what an owner spent stays
 * spent when the conversation (and its runs) is deleted, and the usage answer must not shrink.
 * `cost` is computed when the row is written, from the price table of that moment (MODEL_PRICES):
 * prices change, and a record keeps what it was charged at. Null means the model has no price
 * configured (unknown, never 0).
 */
export const usageRecords = pgTable(
  'usage_records',
  {
    id: id(),
    ownerId: text('owner_id').notNull(),
    runId: uuid('run_id'),
    conversationId: uuid('conversation_id'),
    kind: text('kind', { enum: usageKinds }).notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    // USD; numeric, not float: sums of many small amounts must add up exactly.
    cost: numeric('cost', { precision: 20, scale: 10 }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('usage_records_kind_check', sql`${table.kind} in ('chat', 'summary', 'embedding')`),
    check(
      'usage_records_tokens_non_negative',
      sql`${table.inputTokens} >= 0 and ${table.outputTokens} >= 0 and (${table.cost} is null or ${table.cost} >= 0)`,
    ),
    // The usage answer's scan: one owner's records in a time range.
    index('usage_records_owner_created_idx').on(table.ownerId, table.createdAt),
  ],
);

export type UsageRecord = typeof usageRecords.$inferSelect;
export type NewUsageRecord = typeof usageRecords.$inferInsert;
