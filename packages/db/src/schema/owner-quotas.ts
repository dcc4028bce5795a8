import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Per-owner quota overrides, set by an operator (SQL today); a null column means the api's
 * configured default (QUOTA_* variables). An owner without a row has every default.
 */
export const ownerQuotas = pgTable('owner_quotas', {
  ownerId: text('owner_id').primaryKey(),
  maxDocuments: integer('max_documents'),
  maxStoredBytes: bigint('max_stored_bytes', { mode: 'number' }),
  maxOpenAgentRuns: integer('max_open_agent_runs'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * What an owner holds now, kept in step with the rows it counts in the same transactions. It is
 * the arbiter of the document quotas across replicas: one conditional UPDATE of this row both
 * checks and takes the allowance (concurrent ones queue on its row lock and re-check), so 50
 * parallel creations against a quota of 10 store 10, whichever replicas they reach.
 */
export const ownerCounters = pgTable(
  'owner_counters',
  {
    ownerId: text('owner_id').primaryKey(),
    documents: integer('documents').notNull().default(0),
    storedBytes: bigint('stored_bytes', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('owner_counters_non_negative', sql`${table.documents} >= 0 and ${table.storedBytes} >= 0`),
  ],
);
