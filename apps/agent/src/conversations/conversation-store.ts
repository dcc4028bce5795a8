import { conversations, messages, usageRecords, type Database, type Message } from '@repo/db';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { ModelCallUsage } from '../usage/model-usage.ts';

/**
 * The agent's reads of conversation memory, and its running summary. Every read is scoped by
 * owner, so a service call naming the wrong owner finds nothing. (A turn's messages are written
 * with its run: runs/run-store.ts.)
 */
export function createConversationStore(db: Database) {
  // The reads of every turn (and of summaries), prepared once: drizzle builds them once instead of per turn (query
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
     * Moves the summary forward; never backwards, if two summaries race. The summary's model call
     * is charged to the owner in the same transaction, whether or not it moved (the tokens were
     * spent either way).
     */
    async saveSummary(
      owner: { ownerId: string; conversationId: string },
      summary: string,
      throughSeq: number,
      usage: ModelCallUsage,
    ): Promise<boolean> {
      const { ownerId, conversationId } = owner;
      return db.transaction(async (tx) => {
        const updated = await tx
          .update(conversations)
          .set({ summary, summarizedThroughSeq: throughSeq, updatedAt: sql`${conversations.updatedAt}` })
          .where(
            and(
              eq(conversations.id, conversationId),
              sql`${conversations.summarizedThroughSeq} < ${throughSeq}`,
            ),
          )
          .returning({ id: conversations.id });
        await tx.insert(usageRecords).values({
          ownerId,
          conversationId,
          kind: usage.kind,
          provider: usage.provider,
          model: usage.model,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          cost: usage.cost === null ? null : usage.cost.toString(),
          createdAt: usage.at,
        });
        return updated.length > 0;
      });
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
