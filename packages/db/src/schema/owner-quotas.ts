import { sql } from 'drizzle-orm';
import { bigint, check, date, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Per-owner quota overrides, set by an operator (SQL today); a null column means the api's
 * configured default (QUOTA_* variables). An owner without a row has every default.
 */
export const ownerQuotas = pgTable('owner_quotas', {
  ownerId: text('owner_id').primaryKey(),
  maxDocuments: integer('max_documents'),
  maxStoredBytes: bigint('max_stored_bytes', { mode: 'number' }),
  maxOpenAgentRuns: integer('max_open_agent_runs'),
  // Model tokens (input + output, every kind of call) per calendar month, UTC (QUOTA_MONTHLY_TOKENS).
  maxMonthlyTokens: bigint('max_monthly_tokens', { mode: 'number' }),
  // Runs running or awaiting an approval at once (QUOTA_CONCURRENT_RUNS).
  maxConcurrentRuns: integer('max_concurrent_runs'),
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
    // Runs the owner ever started in an active state (a trigger on runs adds each insert, see
    // migration 0008). The agent's run admission locks this row; the runs that ended are counted
    // in owner_spend, so ending a run never waits for this lock (see owner_spend for why).
    runsStarted: bigint('runs_started', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('owner_counters_non_negative', sql`${table.documents} >= 0 and ${table.storedBytes} >= 0`),
  ],
);

/**
 * What an owner's runs ended and spent, kept by triggers (migration 0008): `runs_ended` counts
 * runs leaving the active states (finished, reaped, deleted with their conversation), and
 * `month_tokens` adds every usage record of `tokens_month` (a record of a later month starts the
 * count again). A separate row from owner_counters on purpose: the admission of a new run holds
 * that row's lock while its insert may wait for the conversation's ending run, and that run's
 * ending writes here — if both lived in one row, the two would wait for each other (deadlock).
 * The admission reads this row without a lock: a value older than the lock's can only show fewer
 * ended runs (refusing, never over-admitting) and fewer tokens than an ended run reserved.
 */
export const ownerSpend = pgTable(
  'owner_spend',
  {
    ownerId: text('owner_id').primaryKey(),
    runsEnded: bigint('runs_ended', { mode: 'number' }).notNull().default(0),
    tokensMonth: date('tokens_month', { mode: 'string' }).notNull(),
    monthTokens: bigint('month_tokens', { mode: 'number' }).notNull().default(0),
  },
  (table) => [check('owner_spend_non_negative', sql`${table.runsEnded} >= 0 and ${table.monthTokens} >= 0`)],
);
