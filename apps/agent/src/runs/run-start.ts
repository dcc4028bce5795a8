import { randomUUID } from 'node:crypto';
import {
  activeRunStatuses,
  conversations,
  messages,
  ownerCounters,
  runQuotaCte,
  runs,
  type Database,
  type Message,
} from '@repo/db';
import type { HttpProblem } from '@repo/http';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { executeNamed } from './named-statement.ts';
import { admitCte, refusal, type RunQuotaDefaults } from './run-quota.ts';

/** The conversation a run works on, as the model's context needs it. */
export interface RunConversation {
  id: string;
  summary: string | null;
  summarizedThroughSeq: number;
  /**
   * Its messages after the summary, oldest first, when the run's start read them with the
   * summary (the turn then reads nothing more before it calls the model). Unset, the turn reads
   * them itself: a continued run, or a start whose snapshot may miss another run's messages.
   */
  history?: ContextMessage[];
}

/** What of a stored message the model's context is built from (memory/, conversations/). */
export type ContextMessage = Pick<
  Message,
  'seq' | 'role' | 'content' | 'toolCalls' | 'toolResults' | 'tokenCount'
>;

export interface OpenRunInput {
  ownerId: string;
  conversationId: string;
  content: string;
  tokenCount: number;
  idempotencyKey?: string | undefined;
  taskId?: string | undefined;
  provider: string;
  model: string;
  /** This agent instance: the lease holder. */
  leaseOwner: string;
  leaseMs: number;
}

export type OpenedRun =
  | { kind: 'started'; runId: string; userMessageId: string; conversation: RunConversation }
  /** The idempotency key's run is still going (here or on another agent instance): follow it. */
  | { kind: 'active'; runId: string }
  /** The idempotency key was answered before: that answer, nothing new. */
  | { kind: 'answered'; runId: string | undefined; userMessage: Message; reply: Message }
  | { kind: 'conflict'; activeRunId: string }
  /** The owner's run quotas leave no room: the 429 naming the one that refused. */
  | { kind: 'refused'; problem: HttpProblem }
  | { kind: 'no-conversation' };

const ACTIVE = sql.raw(activeRunStatuses.map((status) => `'${status}'`).join(', '));

/**
 * Starting a run: the statement that checks the owner, inserts the run holding this agent's lease
 * and stores the user's message, and what an idempotency key seen before means.
 */
export function createRunStart(db: Database, quotas: RunQuotaDefaults) {
  /**
   * One statement for the common case (no idempotency key, or a new one): check the owner, admit
   * the run under the owner's run quotas (run-quota.ts), start it holding the lease, and store the
   * user's message — only if the run could start. The partial unique index on active runs decides
   * the race between two messages on any replica; the loser learns the active run's id from the
   * same statement.
   */
  async function insertRun(input: OpenRunInput, existingMessageId: string | undefined): Promise<OpenedRun> {
    const runId = randomUUID();
    const userMessageId = existingMessageId ?? randomUUID();
    const storeMessage = existingMessageId === undefined;
    const result = await executeNamed<{
      id: string;
      summary: string | null;
      summarized_through_seq: string;
      run_id: string | null;
      active_run_id: string | null;
      admitted: boolean;
      history: ContextMessage[];
      user_message_seq: string | null;
      owner_runs_unchanged: boolean | null;
    }>(
      db,
      'agent_run_start',
      sql`
      with conversation as (
        select id, summary, summarized_through_seq from ${conversations}
        where id = ${input.conversationId} and owner_id = ${input.ownerId}
      ), ${runQuotaCte(input.ownerId, quotas)}, ${admitCte(input.ownerId, quotas)}, run as (
        insert into ${runs} (id, owner_id, conversation_id, task_id, status, provider, model,
                             user_message_id, lease_owner, lease_expires_at, started_at)
        select ${runId}, ${input.ownerId}, id, ${input.taskId ?? null}, 'running', ${input.provider},
               ${input.model}, ${userMessageId}, ${input.leaseOwner},
               now() + ${input.leaseMs} * interval '1 millisecond', now()
        from conversation where exists (select 1 from admit)
        on conflict (conversation_id) where status in (${ACTIVE}) do nothing
        returning id
      ), message as (
        insert into ${messages} (id, conversation_id, role, content, idempotency_key, token_count)
        select ${userMessageId}, ${input.conversationId}, 'user', ${input.content},
               ${input.idempotencyKey ?? null}, ${input.tokenCount}
        from run where ${storeMessage}
        returning id, seq
      ), history as (
        -- The turn's context, read with the summary it follows (one round trip less per turn):
        -- only if the run started. The message stored above is not in this snapshot; it is
        -- appended below.
        select coalesce(json_agg(json_build_object(
                 'seq', m.seq, 'role', m.role, 'content', m.content, 'toolCalls', m.tool_calls,
                 'toolResults', m.tool_results, 'tokenCount', m.token_count) order by m.seq),
               '[]'::json) as messages
        from ${messages} m join conversation c on m.conversation_id = c.id
        where m.seq > c.summarized_through_seq and exists (select 1 from run)
      )
      select c.id, c.summary, c.summarized_through_seq,
             (select id from run) as run_id,
             -- The statement's snapshot does not see its own insert, so this names another run.
             (select r.id from ${runs} r where r.conversation_id = c.id and r.status in (${ACTIVE})
              limit 1) as active_run_id,
             exists (select 1 from admit) as admitted,
             (select messages from history) as history,
             (select seq from message) as user_message_seq,
             -- No run of this owner started after the snapshot: the newest count (admit's)
             -- is the snapshot's.
             (select runs_started from admit) = coalesce((select o.runs_started from ${ownerCounters} o
               where o.owner_id = ${input.ownerId}), 0) as owner_runs_unchanged
      from conversation c
    `,
    );
    const row = result.rows[0];
    if (!row) return { kind: 'no-conversation' };
    if (row.run_id) {
      return {
        kind: 'started',
        runId: row.run_id,
        userMessageId,
        conversation: {
          id: row.id,
          summary: row.summary,
          summarizedThroughSeq: Number(row.summarized_through_seq),
          // Messages are written by a run's start and its end. The history is the snapshot's,
          // so it is only used when no run of the conversation started or ended after the
          // snapshot was taken: none was active in it (one that was, yet ours started, ended
          // since), and the owner started none since (admit waited for the owner's counter row,
          // and another start may have taken it first). Otherwise the turn reads the history
          // itself, after both committed. Both are rare: they need two messages of one
          // conversation, or many starts of one owner, at the same moment.
          ...(row.active_run_id === null && row.owner_runs_unchanged === true
            ? { history: withUserMessage(row.history, row.user_message_seq, input) }
            : {}),
        },
      };
    }
    // A conversation with a run going answers 409 naming it, whatever the quotas say.
    if (!row.admitted && !row.active_run_id)
      return { kind: 'refused', problem: await refusal(db, input.ownerId, quotas) };
    // The active run committed after this statement's snapshot was taken: ask again.
    const activeRunId = row.active_run_id ?? (await activeRun(input.conversationId));
    return activeRunId ? { kind: 'conflict', activeRunId } : insertRun(input, existingMessageId);
  }

  async function activeRun(conversationId: string): Promise<string | undefined> {
    const [row] = await db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.conversationId, conversationId), inArray(runs.status, [...activeRunStatuses])));
    return row?.id;
  }

  /** The message stored under `key`, and its latest run. */
  async function byIdempotencyKey(input: OpenRunInput) {
    const [message] = await db
      .select({ message: messages })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(
        and(
          eq(messages.conversationId, input.conversationId),
          eq(conversations.ownerId, input.ownerId),
          eq(messages.idempotencyKey, input.idempotencyKey!),
        ),
      );
    if (!message) return undefined;
    const [run] = await db
      .select()
      .from(runs)
      .where(eq(runs.userMessageId, message.message.id))
      .orderBy(desc(runs.createdAt))
      .limit(1);
    return { message: message.message, run };
  }

  /**
   * A message stored before runs existed has no run: its answer is the last assistant message
   * before the next user message, as turns were looked up then.
   */
  async function answerOf(message: Message): Promise<Message | undefined> {
    const after = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, message.conversationId), gt(messages.seq, message.seq)))
      .orderBy(asc(messages.seq));
    const nextUser = after.findIndex((m) => m.role === 'user');
    return (nextUser === -1 ? after : after.slice(0, nextUser)).filter((m) => m.role === 'assistant').at(-1);
  }

  return {
    /**
     * Starts a run for a user message. With an idempotency key seen before: the same run if it
     * is still going, its answer if it succeeded, or a new run for the same stored message if it
     * failed or was cancelled (the retry continues where it failed, the message stays stored once).
     */
    async open(input: OpenRunInput): Promise<OpenedRun> {
      if (input.idempotencyKey === undefined) return insertRun(input, undefined);
      for (let attempt = 0; ; attempt++) {
        const earlier = await byIdempotencyKey(input);
        if (!earlier) {
          try {
            const opened = await insertRun(input, undefined);
            // A concurrent request with the same key may have started the run, committed after
            // this one looked the key up (its start waits for that one's quota lock): look again,
            // to join it rather than answer 409.
            if (opened.kind === 'conflict' && attempt === 0) continue;
            return opened;
          } catch (error) {
            // A concurrent request with the same key stored the message first: look again.
            if (attempt === 0 && isUniqueViolation(error)) continue;
            throw error;
          }
        }
        const { message, run } = earlier;
        if (run && (activeRunStatuses as readonly string[]).includes(run.status)) {
          return { kind: 'active', runId: run.id };
        }
        if (run?.status === 'succeeded' && run.replyMessageId) {
          const [reply] = await db.select().from(messages).where(eq(messages.id, run.replyMessageId));
          if (reply) return { kind: 'answered', runId: run.id, userMessage: message, reply };
        }
        if (!run) {
          const reply = await answerOf(message);
          if (reply) return { kind: 'answered', runId: undefined, userMessage: message, reply };
        }
        return insertRun(input, message.id);
      }
    },
  };
}

/** The history the run's start read, and the user's message it stored (not in its snapshot). */
function withUserMessage(
  history: ContextMessage[],
  userMessageSeq: string | null,
  input: OpenRunInput,
): ContextMessage[] {
  // No seq: the message was stored before (a retried idempotency key), so it is in the history.
  if (userMessageSeq === null) return history;
  return [
    ...history,
    {
      seq: Number(userMessageSeq),
      role: 'user',
      content: input.content,
      toolCalls: null,
      toolResults: null,
      tokenCount: input.tokenCount,
    },
  ];
}

function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: unknown; cause?: { code?: unknown } };
  return candidate.code === '23505' || candidate.cause?.code === '23505';
}

export type RunStart = ReturnType<typeof createRunStart>;
