import { conversations, messages, type Database, type Message } from '@repo/db';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { OutputMessage } from './model-messages.ts';

/**
 * The agent's reads and writes of conversation memory. Every read is scoped by owner, so a
 * service call naming the wrong owner finds nothing.
 */
export function createConversationStore(db: Database) {
  // The two reads of every turn, prepared once: drizzle builds them once instead of per turn (query
  // building was a tenth of the agent's CPU on a turn), and Postgres plans a named statement once
  // per connection.
  const findConversation = db
    .select()
    .from(conversations)
    .where(
      and(
        eq(conversations.id, sql.placeholder('conversationId')),
        eq(conversations.ownerId, sql.placeholder('ownerId')),
      ),
    )
    .prepare('agent_find_conversation');
  const unsummarizedMessages = db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, sql.placeholder('conversationId')),
        gt(messages.seq, sql.placeholder('afterSeq')),
      ),
    )
    .orderBy(asc(messages.seq))
    .prepare('agent_unsummarized_messages');

  return {
    async find(ownerId: string, conversationId: string) {
      const [row] = await findConversation.execute({ ownerId, conversationId });
      return row;
    },

    /** Messages not yet covered by the summary, oldest first. */
    async unsummarized(conversationId: string, afterSeq: number): Promise<Message[]> {
      return unsummarizedMessages.execute({ conversationId, afterSeq });
    },

    /**
     * Stores the user's message once per idempotency key. Returns the stored row and, when the
     * key was seen before, the reply already given to it (if that turn completed).
     */
    async appendUserMessage(
      conversationId: string,
      input: { content: string; idempotencyKey?: string; tokenCount: number },
    ): Promise<{ message: Message; replay?: Message }> {
      const [inserted] = await db
        .insert(messages)
        .values({
          conversationId,
          role: 'user',
          content: input.content,
          idempotencyKey: input.idempotencyKey,
          tokenCount: input.tokenCount,
        })
        .onConflictDoNothing({ target: [messages.conversationId, messages.idempotencyKey] })
        .returning();
      if (inserted) return { message: inserted };

      const [existing] = await db
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.conversationId, conversationId),
            eq(messages.idempotencyKey, input.idempotencyKey!),
          ),
        );
      // The reply to it is the last assistant message before the next user message.
      const after = await db
        .select()
        .from(messages)
        .where(and(eq(messages.conversationId, conversationId), gt(messages.seq, existing!.seq)))
        .orderBy(asc(messages.seq));
      const nextUser = after.findIndex((m) => m.role === 'user');
      const answer = (nextUser === -1 ? after : after.slice(0, nextUser))
        .filter((m) => m.role === 'assistant')
        .at(-1);
      return { message: existing!, ...(answer ? { replay: answer } : {}) };
    },

    /**
     * A turn's output, all at once: a failed turn leaves no half-written answer. One statement —
     * the conversation's `updated_at` is moved in a data-modifying CTE of the insert — so it is
     * atomic without a transaction's four round trips (BEGIN, INSERT, UPDATE, COMMIT).
     */
    async appendOutput(
      conversationId: string,
      rows: readonly OutputMessage[],
      usage: { inputTokens?: number; outputTokens?: number },
    ): Promise<Message[]> {
      if (rows.length === 0) return [];
      const touched = db
        .$with('touched')
        .as(
          db
            .update(conversations)
            .set({ updatedAt: new Date() })
            .where(eq(conversations.id, conversationId))
            .returning({ id: conversations.id }),
        );
      return db
        .with(touched)
        .insert(messages)
        .values(
          rows.map((row, i) => ({
            conversationId,
            ...row,
            // The provider's usage belongs to the turn; it is recorded on its final message.
            ...(i === rows.length - 1
              ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens }
              : {}),
          })),
        )
        .returning();
    },

    /** Moves the summary forward; never backwards, if two summaries race. */
    async saveSummary(conversationId: string, summary: string, throughSeq: number): Promise<boolean> {
      const updated = await db
        .update(conversations)
        .set({ summary, summarizedThroughSeq: throughSeq, updatedAt: sql`${conversations.updatedAt}` })
        .where(
          and(
            eq(conversations.id, conversationId),
            sql`${conversations.summarizedThroughSeq} < ${throughSeq}`,
          ),
        )
        .returning({ id: conversations.id });
      return updated.length > 0;
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
