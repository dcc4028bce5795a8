import { randomUUID } from 'node:crypto';
import {
  activeRunStatuses,
  conversations,
  messages,
  runEvents,
  runs,
  runToolCalls,
  type Database,
  type Message,
  type Run,
} from '@repo/db';
import type { RunEvent } from '@repo/runs';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { OutputMessage } from '../conversations/model-messages.ts';

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
  | { kind: 'no-conversation' };

/** A tool call as the run records it; `isError` once the tool answered. */
export interface ToolCallRecord {
  toolCallId: string;
  toolName: string;
  input: unknown;
  idempotencyKey: string;
  isError?: boolean;
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  errorCode?: string;
  error?: string;
  usage: { inputTokens: number; outputTokens: number };
  steps: number;
  finishReason?: string;
}

/** The run is no longer this agent's: it was ended elsewhere (cancelled, reaped) or deleted. */
export class RunLostError extends Error {
  constructor(runId: string) {
    super(`run ${runId} is no longer held by this agent`);
    this.name = 'RunLostError';
  }
}

const ACTIVE = sql.raw(activeRunStatuses.map((status) => `'${status}'`).join(', '));

/**
 * The executor's reads and writes of runs. Every write after the start is fenced by the lease:
 * it applies only while the run is `running` and held by this agent, so an agent that lost its
 * run (the reaper failed it, the api cancelled it while it waited, the conversation was deleted)
 * can never overwrite what replaced it.
 */
export function createRunStore(db: Database) {
  const held = (runId: string, leaseOwner: string) =>
    and(eq(runs.id, runId), eq(runs.leaseOwner, leaseOwner), eq(runs.status, 'running'));

  /**
   * One statement for the common case (no idempotency key, or a new one): check the owner, start
   * the run holding the lease, and store the user's message — only if the run could start. The
   * partial unique index on active runs decides the race between two messages on any replica; the
   * loser learns the active run's id from the same statement.
   */
  async function insertRun(input: OpenRunInput, existingMessageId: string | undefined): Promise<OpenedRun> {
    const runId = randomUUID();
    const userMessageId = existingMessageId ?? randomUUID();
    const storeMessage = existingMessageId === undefined;
    const result = await db.execute<{
      id: string;
      summary: string | null;
      summarized_through_seq: string;
      run_id: string | null;
      active_run_id: string | null;
    }>(sql`
      with conversation as (
        select id, summary, summarized_through_seq from ${conversations}
        where id = ${input.conversationId} and owner_id = ${input.ownerId}
      ), run as (
        insert into ${runs} (id, owner_id, conversation_id, task_id, status, provider, model,
                             user_message_id, lease_owner, lease_expires_at, started_at)
        select ${runId}, ${input.ownerId}, id, ${input.taskId ?? null}, 'running', ${input.provider},
               ${input.model}, ${userMessageId}, ${input.leaseOwner},
               now() + ${input.leaseMs} * interval '1 millisecond', now()
        from conversation
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
              limit 1) as active_run_id
      from conversation c
    `);
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
            return await insertRun(input, undefined);
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

    async find(runId: string): Promise<Run | undefined> {
      const [row] = await db.select().from(runs).where(eq(runs.id, runId));
      return row;
    },

    /**
     * Extends the lease. Returns whether a cancel was asked for (the fallback when the cancel
     * message was missed); throws RunLostError when the run is not this agent's any more.
     */
    async renewLease(
      runId: string,
      leaseOwner: string,
      leaseMs: number,
    ): Promise<{ cancelRequested: boolean }> {
      const [row] = await db
        .update(runs)
        .set({ leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
        .where(held(runId, leaseOwner))
        .returning({ cancelRequestedAt: runs.cancelRequestedAt });
      if (!row) throw new RunLostError(runId);
      return { cancelRequested: row.cancelRequestedAt !== null };
    },

    /**
     * Stores events and tool calls streamed so far (a batch), extending the lease with them. One
     * statement: the fenced update of the run, and the inserts only if it applied.
     */
    async flush(
      runId: string,
      leaseOwner: string,
      leaseMs: number,
      events: readonly RunEvent[],
      toolCalls: readonly ToolCallRecord[],
    ): Promise<{ cancelRequested: boolean }> {
      const result = await db.execute<{ held: boolean; cancel_requested: boolean | null }>(sql`
        with run as (
          update ${runs}
          set last_seq = coalesce(${events.at(-1)?.seq ?? null}::bigint, last_seq),
              lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
              updated_at = now()
          where ${held(runId, leaseOwner)}
          returning cancel_requested_at
        ), ${insertEvents(runId, events)}, ${upsertToolCalls(runId, toolCalls)}
        select exists (select from run) as held,
               (select cancel_requested_at is not null from run) as cancel_requested
      `);
      const row = result.rows[0];
      if (!row?.held) throw new RunLostError(runId);
      return { cancelRequested: row.cancel_requested === true };
    },

    /**
     * The end of a run, all at once and in one statement (no transaction's round trips on the
     * path of every turn): its status and usage, its output messages and the conversation's
     * `updated_at`, the remaining events with the final one, its tool calls — each applied only
     * if the run is still this agent's (RunLostError otherwise, and nothing is written). The
     * messages' ids and times are chosen here, so the final event (built by `finalEvent` from
     * them) holds exactly what is stored.
     */
    async finish(
      runId: string,
      leaseOwner: string,
      conversationId: string,
      output: readonly OutputMessage[],
      outcome: RunOutcome,
      pending: { events: readonly RunEvent[]; toolCalls: readonly ToolCallRecord[] },
      finalEvent: (stored: StoredMessage[]) => RunEvent,
    ): Promise<{ stored: StoredMessage[]; event: RunEvent }> {
      const createdAt = new Date();
      const stored: StoredMessage[] = output.map((row, i) => ({
        ...row,
        id: randomUUID(),
        createdAt,
        // The provider's usage belongs to the turn; it is recorded on its final message.
        ...(i === output.length - 1
          ? { inputTokens: outcome.usage.inputTokens, outputTokens: outcome.usage.outputTokens }
          : { inputTokens: null, outputTokens: null }),
      }));
      const event = finalEvent(stored);
      const reply = stored.filter((message) => message.role === 'assistant').at(-1);
      const result = await db.execute<{ held: boolean }>(sql`
        with run as (
          update ${runs}
          set status = ${outcome.status},
              error_code = ${outcome.errorCode ?? null},
              error = ${outcome.error ?? null},
              input_tokens = ${outcome.usage.inputTokens},
              output_tokens = ${outcome.usage.outputTokens},
              steps = ${outcome.steps},
              finish_reason = ${outcome.finishReason ?? null},
              reply_message_id = ${reply?.id ?? null}::uuid,
              last_seq = ${event.seq},
              lease_owner = null,
              lease_expires_at = null,
              finished_at = now(),
              updated_at = now()
          where ${held(runId, leaseOwner)}
          returning id
        ), touched as (
          update ${conversations} set updated_at = now()
          where id = ${conversationId} and ${stored.length > 0} and exists (select from run)
        ), output as (
          insert into ${messages}
            (id, conversation_id, role, content, tool_calls, tool_results, token_count, input_tokens,
             output_tokens, created_at)
          select m.id, ${conversationId}, m.role, m.content, m.tool_calls, m.tool_results, m.token_count,
                 m.input_tokens, m.output_tokens, m.created_at
          from rows from (jsonb_to_recordset(${json(stored.map(messageRow))}::jsonb) as (
            id uuid, role text, content text, tool_calls jsonb, tool_results jsonb, token_count int,
            input_tokens int, output_tokens int, created_at timestamptz
          )) with ordinality as m(id, role, content, tool_calls, tool_results, token_count, input_tokens,
                                  output_tokens, created_at, n)
          where exists (select from run)
          -- In order: each message's seq (an identity) follows the one before it.
          order by m.n
        ), ${insertEvents(runId, [...pending.events, event])}, ${upsertToolCalls(runId, pending.toolCalls)}
        select exists (select from run) as held
      `);
      if (!result.rows[0]?.held) throw new RunLostError(runId);
      return { stored, event };
    },
  };
}

/** A message of a run's output as it is stored (ids and times are chosen by the executor). */
export type StoredMessage = OutputMessage & {
  id: string;
  createdAt: Date;
  inputTokens: number | null;
  outputTokens: number | null;
};

/** A message as a row of the jsonb parameter its insert reads (keys named like the columns). */
const messageRow = (message: StoredMessage) => ({
  id: message.id,
  role: message.role,
  content: message.content,
  tool_calls: message.toolCalls,
  tool_results: message.toolResults,
  token_count: message.tokenCount,
  input_tokens: message.inputTokens,
  output_tokens: message.outputTokens,
  created_at: message.createdAt.toISOString(),
});

/** JSON for a jsonb parameter: nulls left out (a missing key reads as SQL NULL). */
const json = (value: unknown) =>
  JSON.stringify(value, (_key, item: unknown) => (item === null ? undefined : item));

/** A CTE `events` inserting numbered events, if the statement's `run` CTE returned a row. */
function insertEvents(runId: string, events: readonly RunEvent[]) {
  return sql`events as (
    insert into ${runEvents} (run_id, seq, type, data)
    select ${runId}, e.seq, e.type, e.data
    from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as e(seq bigint, type text, data jsonb)
    where exists (select from run)
  )`;
}

/** A CTE `calls` recording tool calls (a later record of a call adds its outcome). */
function upsertToolCalls(runId: string, calls: readonly ToolCallRecord[]) {
  const rows = calls.map((call) => ({
    tool_call_id: call.toolCallId,
    tool_name: call.toolName,
    input: call.input ?? null,
    idempotency_key: call.idempotencyKey,
    is_error: call.isError ?? null,
    completed: call.isError !== undefined,
  }));
  return sql`calls as (
    insert into ${runToolCalls} (run_id, tool_call_id, tool_name, input, idempotency_key, is_error, completed_at)
    select ${runId}, c.tool_call_id, c.tool_name, c.input, c.idempotency_key, c.is_error,
           case when c.completed then now() end
    from jsonb_to_recordset(${json(rows)}::jsonb) as c(
      tool_call_id text, tool_name text, input jsonb, idempotency_key text, is_error boolean, completed boolean
    )
    where exists (select from run)
    on conflict (run_id, tool_call_id) do update
      set is_error = excluded.is_error, completed_at = excluded.completed_at
  )`;
}

export type RunStore = ReturnType<typeof createRunStore>;

function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: unknown; cause?: { code?: unknown } };
  return candidate.code === '23505' || candidate.cause?.code === '23505';
}
