import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';

export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    ownerId: text('owner_id').notNull(),
    title: text('title').notNull(),
    // The running summary of the turns that no longer fit the agent's token budget, written by
    // the summarize-conversation job; messages with seq ≤ summarized_through_seq are covered by it.
    summary: text('summary'),
    summarizedThroughSeq: bigint('summarized_through_seq', { mode: 'number' }).notNull().default(0),
    ...timestamps,
  },
  (table) => [
    index('conversations_owner_updated_idx').on(table.ownerId, table.updatedAt.desc(), table.id.desc()),
  ],
);

export type Conversation = typeof conversations.$inferSelect;
export type NewConversation = typeof conversations.$inferInsert;
