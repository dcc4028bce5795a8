import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { id } from './columns.ts';
import { conversations } from './conversations.ts';

export const messageRoles = ['user', 'assistant', 'tool', 'system'] as const;
export type MessageRole = (typeof messageRoles)[number];

/** A tool call as the assistant made it (AI SDK shape: id, tool name, JSON input). */
export interface StoredToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** A tool's answer to one call; `isError` when the tool failed and the model was told so. */
export interface StoredToolResult {
  toolCallId: string;
  toolName: string;
  output: unknown;
  isError?: boolean;
}

export const messages = pgTable(
  'messages',
  {
    id: id(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    // Strict order of a conversation's messages (timestamps can tie within one transaction).
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    role: text('role', { enum: messageRoles }).notNull(),
    content: text('content').notNull().default(''),
    toolCalls: jsonb('tool_calls').$type<StoredToolCall[]>(),
    toolResults: jsonb('tool_results').$type<StoredToolResult[]>(),
    // Estimated size of this message in the model's context (for the token budget)...
    tokenCount: integer('token_count').notNull().default(0),
    // ...and, on assistant messages, what the provider reported the turn cost.
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    // On user messages: the request's Idempotency-Key, so a retried request stores it once.
    idempotencyKey: text('idempotency_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('messages_role_check', sql`${table.role} in ('user', 'assistant', 'tool', 'system')`),
    index('messages_conversation_seq_idx').on(table.conversationId, table.seq),
    uniqueIndex('messages_conversation_idempotency_key_unique').on(
      table.conversationId,
      table.idempotencyKey,
    ),
  ],
);

export type Message = typeof messages.$inferSelect;
export type NewMessage = typeof messages.$inferInsert;
