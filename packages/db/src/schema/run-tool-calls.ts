import { sql } from 'drizzle-orm';
import { boolean, check, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { runs } from './runs.ts';

export const toolCallDecisions = ['pending', 'approved', 'denied', 'expired'] as const;
export type ToolCallDecision = (typeof toolCallDecisions)[number];

/**
 * Every tool call a run made, with the idempotency key it carried (`<run id>:<tool call id>`,
 * sent to MCP servers in `_meta`), so a side effect is never done twice for one call. The
 * approval columns are for tools that need a person's decision before they run: such a call is
 * stored `pending` until it is approved, denied or expires (null `decision`: no approval needed).
 */
export const runToolCalls = pgTable(
  'run_tool_calls',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    toolCallId: text('tool_call_id').notNull(),
    toolName: text('tool_name').notNull(),
    input: jsonb('input'),
    idempotencyKey: text('idempotency_key').notNull(),
    needsApproval: boolean('needs_approval').notNull().default(false),
    approvalId: text('approval_id'),
    decision: text('decision', { enum: toolCallDecisions }),
    reason: text('reason'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    // Null while the tool runs (or waits); the outcome once it answered.
    isError: boolean('is_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (table) => [
    primaryKey({ name: 'run_tool_calls_pk', columns: [table.runId, table.toolCallId] }),
    check(
      'run_tool_calls_decision_check',
      sql`${table.decision} is null or ${table.decision} in ('pending', 'approved', 'denied', 'expired')`,
    ),
  ],
);

export type RunToolCall = typeof runToolCalls.$inferSelect;
export type NewRunToolCall = typeof runToolCalls.$inferInsert;
