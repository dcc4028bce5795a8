import { conversations, messages, OPEN_TASK_STATUSES, runs, tasks, type Database } from '@repo/db';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { after, cursorTime, toPage, type Position } from '../http/pagination.ts';
import type { RunsService } from '../runs/runs-service.ts';
import type { StopJob } from '../tasks/job-control.ts';

export interface ConversationsServiceDependencies {
  db: Database;
  stopJob: StopJob;
  runs: Pick<RunsService, 'settle'>;
}

const view = {
  id: conversations.id,
  title: conversations.title,
  summary: conversations.summary,
  createdAt: conversations.createdAt,
  updatedAt: conversations.updatedAt,
};

const messageView = {
  id: messages.id,
  seq: messages.seq,
  role: messages.role,
  content: messages.content,
  toolCalls: messages.toolCalls,
  toolResults: messages.toolResults,
  inputTokens: messages.inputTokens,
  outputTokens: messages.outputTokens,
  createdAt: messages.createdAt,
};

/**
 * Conversations as their owner sees them. The api creates, lists, reads and deletes them; the
 * agent service writes their messages (and the task-runner their running summary), so nothing
 * here inserts a message.
 */
export function createConversationsService({
  db,
  stopJob,
  runs: runControl,
}: ConversationsServiceDependencies) {
  // Read before every message sent (each agent turn): prepared once, so neither drizzle nor
  // Postgres builds and plans it again per turn.
  const findConversation = db
    .select(view)
    .from(conversations)
    .where(
      and(eq(conversations.id, sql.placeholder('id')), eq(conversations.ownerId, sql.placeholder('ownerId'))),
    )
    .prepare('conversations_get');

  return {
    async create(ownerId: string, title: string) {
      const [row] = await db.insert(conversations).values({ ownerId, title }).returning(view);
      return row!;
    },

    /** Another owner's conversation is reported exactly like a missing one. */
    async get(ownerId: string, id: string) {
      const [row] = await findConversation.execute({ id, ownerId });
      return row;
    },

    /**
     * Latest activity first (the agent touches `updated_at` when it stores a reply), keyset on
     * (updated_at, id), served by conversations_owner_updated_idx. New conversations land in
     * front of the cursor, so paging stays stable while others are created; a conversation that
     * gets a reply while a client pages moves to the front (that is what this order means).
     */
    async list(ownerId: string, options: { limit: number; cursor?: Position | undefined }) {
      const rows = await db
        .select({ ...view, cursorTime: cursorTime(conversations.updatedAt) })
        .from(conversations)
        .where(
          and(
            eq(conversations.ownerId, ownerId),
            options.cursor ? after(conversations.updatedAt, conversations.id, options.cursor) : undefined,
          ),
        )
        .orderBy(desc(conversations.updatedAt), desc(conversations.id))
        .limit(options.limit + 1);
      return toPage(rows, options.limit);
    },

    /**
     * A conversation's messages in their strict order (`seq`), `limit` after `afterSeq`.
     * Messages are only ever appended, so `nextAfter` (the last seq of the page) never skips one.
     */
    async messages(conversationId: string, options: { afterSeq: number; limit: number }) {
      const rows = await db
        .select(messageView)
        .from(messages)
        .where(and(eq(messages.conversationId, conversationId), gt(messages.seq, options.afterSeq)))
        .orderBy(asc(messages.seq))
        .limit(options.limit + 1);
      const items = rows.slice(0, options.limit);
      return { items, nextAfter: rows.length > options.limit ? items.at(-1)!.seq : null };
    },

    /**
     * Deletes the conversation; its messages and runs go with it (on delete cascade). Its agent
     * runs that are executing are told to stop (their rows are gone, so their agents store
     * nothing), and its background agent-run tasks that have not finished are cancelled in the
     * same transaction, then their jobs stopped — best effort, like a document's ingestion: a
     * runner skips a cancelled task.
     */
    async delete(ownerId: string, id: string): Promise<boolean> {
      let executing: { id: string; status: 'running' }[] = [];
      const cancelled = await db.transaction(async (tx) => {
        // Read before the cascade takes them; told to stop once the delete committed.
        executing = await tx
          .select({ id: runs.id, status: sql<'running'>`'running'` })
          .from(runs)
          .where(and(eq(runs.conversationId, id), eq(runs.ownerId, ownerId), eq(runs.status, 'running')));
        const deleted = await tx
          .delete(conversations)
          .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
          .returning({ id: conversations.id });
        if (deleted.length === 0) return undefined;
        const now = new Date();
        return tx
          .update(tasks)
          .set({ status: 'cancelled', error: 'conversation deleted', finishedAt: now, updatedAt: now })
          .where(
            and(
              eq(tasks.ownerId, ownerId),
              eq(tasks.type, 'agent-run'),
              sql`(${tasks.input} ->> 'conversationId') = ${id}`,
              inArray(tasks.status, OPEN_TASK_STATUSES),
            ),
          )
          .returning({ id: tasks.id, type: tasks.type });
      });
      if (!cancelled) return false;
      await runControl.settle(executing);
      for (const task of cancelled) await stopJob(task.type, task.id);
      return true;
    },
  };
}

export type ConversationsService = ReturnType<typeof createConversationsService>;
