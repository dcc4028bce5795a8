import { bigint, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { runs } from './runs.ts';

/**
 * The ordered, durable log of what a run streamed: `seq` 1, 2, … per run (the SSE `id:`), written
 * in batches by the executing agent (and a final event by whoever ends a run it does not execute:
 * the api cancelling a waiting run, the reaper failing a lost one). Replaying a run reads it.
 */
export const runEvents = pgTable(
  'run_events',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    data: jsonb('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ name: 'run_events_pk', columns: [table.runId, table.seq] })],
);

export type RunEventRow = typeof runEvents.$inferSelect;
export type NewRunEventRow = typeof runEvents.$inferInsert;
