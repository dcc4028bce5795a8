import { randomUUID } from 'node:crypto';
import {
  activeRunStatuses,
  conversations,
  messages,
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
}

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
        returning id
      )
      select c.id, c.summary, c.summarized_through_seq,
             (select id from run) as run_id,
             -- The statement's snapshot does not see its own insert, so this names another run.
             (select r.id from ${runs} r where r.conversation_id = c.id and r.status in (${ACTIVE})
              limit 1) as active_run_id,
             exists (select 1 from admit) as admitted
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

function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: unknown; cause?: { code?: unknown } };
  return candidate.code === '23505' || candidate.cause?.code === '23505';
}

export type RunStart = ReturnType<typeof createRunStart>;
