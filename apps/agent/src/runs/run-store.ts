import { randomUUID } from 'node:crypto';
import {
  conversations,
  messages,
  runEvents,
  runs,
  runToolCalls,
  usageRecords,
  type Database,
} from '@repo/db';
import type { RunEvent } from '@repo/runs';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { OutputMessage } from '../conversations/model-messages.ts';
import type { ModelCallUsage } from '../usage/model-usage.ts';
import { executeNamed } from './named-statement.ts';

/** A tool call as the run records it; `isError` once the tool answered. */
export interface ToolCallRecord {
  toolCallId: string;
  toolName: string;
  input: unknown;
  idempotencyKey: string;
  isError?: boolean;
  /** The call waits for a person's approval (stored `pending` until decided or expired). */
  approval?: { approvalId: string; expiresAt: Date };
}

export interface RunOutcome {
  /** `awaiting_approval`: the run pauses, its lease released, until its approvals are decided. */
  status: 'succeeded' | 'failed' | 'cancelled' | 'awaiting_approval';
  errorCode?: string;
  error?: string;
  usage: { inputTokens: number; outputTokens: number };
  steps: number;
  finishReason?: string;
}

/** What a run produced since its last store: events, tool calls, and its model calls' usage. */
export interface RunBatch {
  events: readonly RunEvent[];
  toolCalls: readonly ToolCallRecord[];
  usage: readonly ModelCallUsage[];
}

/** The run is no longer this agent's: it was ended elsewhere (cancelled, reaped) or deleted. */
export class RunLostError extends Error {
  constructor(runId: string) {
    super(`run ${runId} is no longer held by this agent`);
    this.name = 'RunLostError';
  }
}

/**
 * The executor's reads and writes of runs. Every write after the start is fenced by the lease:
 * it applies only while the run is `running` and held by this agent, so an agent that lost its
 * run (the reaper failed it, the api cancelled it while it waited, the conversation was deleted)
 * can never overwrite what replaced it.
 */
export function createRunStore(db: Database) {
  const held = (runId: string, leaseOwner: string) =>
    and(eq(runs.id, runId), eq(runs.leaseOwner, leaseOwner), eq(runs.status, 'running'));

  return {
    /**
     * Takes a run paused for approvals back to `running` under this agent's lease, if every one
     * of its calls is decided (none `pending`): one conditional statement, so of two agents asked
     * to continue it (the api, and the reaper's retry) one wins. Returns what the continuation
     * needs — the conversation, where its events go on, and the decisions not yet acted on —
     * or undefined when the run is not waiting with all its calls decided.
     */
    async claimContinuation(runId: string, ownerId: string, leaseOwner: string, leaseMs: number) {
      const result = await db.execute<{
        conversation_id: string;
        user_message_id: string | null;
        last_seq: string;
        summary: string | null;
        summarized_through_seq: string;
      }>(sql`
        with run as (
          update ${runs}
          set status = 'running', lease_owner = ${leaseOwner},
              lease_expires_at = now() + ${leaseMs} * interval '1 millisecond', updated_at = now()
          where id = ${runId} and owner_id = ${ownerId} and status = 'awaiting_approval'
            and not exists (
              select from ${runToolCalls} c where c.run_id = ${runId} and c.decision = 'pending'
            )
          returning conversation_id, user_message_id, last_seq
        )
        select run.conversation_id, run.user_message_id, run.last_seq, c.summary, c.summarized_through_seq
        from run join ${conversations} c on c.id = run.conversation_id
      `);
      const row = result.rows[0];
      if (!row) return undefined;
      const decisions = await db
        .select({
          toolCallId: runToolCalls.toolCallId,
          approvalId: runToolCalls.approvalId,
          decision: runToolCalls.decision,
          reason: runToolCalls.reason,
        })
        .from(runToolCalls)
        .where(
          and(
            eq(runToolCalls.runId, runId),
            inArray(runToolCalls.decision, ['approved', 'denied']),
            isNull(runToolCalls.completedAt),
          ),
        );
      return {
        conversation: {
          id: row.conversation_id,
          summary: row.summary,
          summarizedThroughSeq: Number(row.summarized_through_seq),
        },
        userMessageId: row.user_message_id ?? '',
        lastSeq: Number(row.last_seq),
        decisions: decisions.map((decision) => ({
          toolCallId: decision.toolCallId,
          approvalId: decision.approvalId ?? '',
          approved: decision.decision === 'approved',
          ...(decision.reason === null ? {} : { reason: decision.reason }),
        })),
      };
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
     * Stores events, tool calls and usage produced so far (a batch), extending the lease with
     * them. One statement: the fenced update of the run, and the inserts only if it applied.
     */
    async flush(
      runId: string,
      leaseOwner: string,
      leaseMs: number,
      { events, toolCalls, usage }: RunBatch,
    ): Promise<{ cancelRequested: boolean }> {
      const result = await executeNamed<{ held: boolean; cancel_requested: boolean | null }>(
        db,
        'agent_run_flush',
        sql`
        with run as (
          update ${runs}
          set last_seq = coalesce(${events.at(-1)?.seq ?? null}::bigint, last_seq),
              lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
              updated_at = now()
          where ${held(runId, leaseOwner)}
          returning cancel_requested_at, owner_id, conversation_id
        ), ${insertEvents(runId, events)}, ${upsertToolCalls(runId, toolCalls)}, ${insertUsage(runId, usage)}
        select exists (select from run) as held,
               (select cancel_requested_at is not null from run) as cancel_requested
      `,
      );
      const row = result.rows[0];
      if (!row?.held) throw new RunLostError(runId);
      return { cancelRequested: row.cancel_requested === true };
    },

    /**
     * The end of a run, all at once and in one statement (no transaction's round trips on the
     * path of every turn): its status and usage, its output messages and the conversation's
     * `updated_at`, the remaining events with the final one, its tool calls and usage — each applied only
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
      pending: RunBatch,
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
      const result = await executeNamed<{ held: boolean }>(
        db,
        'agent_run_finish',
        sql`
        with run as (
          update ${runs}
          set status = ${outcome.status},
              error_code = ${outcome.errorCode ?? null},
              error = ${outcome.error ?? null},
              -- Added: a run continued after an approval pause already counted its first part.
              input_tokens = input_tokens + ${outcome.usage.inputTokens},
              output_tokens = output_tokens + ${outcome.usage.outputTokens},
              steps = steps + ${outcome.steps},
              finish_reason = ${outcome.finishReason ?? null},
              reply_message_id = ${reply?.id ?? null}::uuid,
              last_seq = ${event.seq},
              lease_owner = null,
              lease_expires_at = null,
              finished_at = case when ${outcome.status} = 'awaiting_approval' then null else now() end,
              updated_at = now()
          where ${held(runId, leaseOwner)}
          returning id, owner_id, conversation_id
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
        ), ${insertEvents(runId, [...pending.events, event])}, ${upsertToolCalls(runId, pending.toolCalls)},
        ${insertUsage(runId, pending.usage)}
        select exists (select from run) as held
      `,
      );
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

/**
 * A CTE `charged` recording model calls' usage against the run's owner and conversation (read
 * from the `run` CTE, which must return owner_id and conversation_id): no row when the run is no
 * longer held, so a lost run's late batch charges nothing twice with what replaced it.
 */
function insertUsage(runId: string, usage: readonly ModelCallUsage[]) {
  const rows = usage.map((call) => ({
    kind: call.kind,
    provider: call.provider,
    model: call.model,
    input_tokens: call.inputTokens,
    output_tokens: call.outputTokens,
    // A string: the jsonb number would be read through float8; numeric keeps the digits as given.
    cost: call.cost === null ? null : call.cost.toString(),
    created_at: call.at.toISOString(),
  }));
  return sql`charged as (
    insert into ${usageRecords}
      (owner_id, run_id, conversation_id, kind, provider, model, input_tokens, output_tokens, cost, created_at)
    select run.owner_id, ${runId}, run.conversation_id, u.kind, u.provider, u.model, u.input_tokens,
           u.output_tokens, u.cost::numeric, u.created_at
    from run, jsonb_to_recordset(${json(rows)}::jsonb) as u(
      kind text, provider text, model text, input_tokens int, output_tokens int, cost text, created_at timestamptz
    )
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
    approval_id: call.approval?.approvalId ?? null,
    expires_at: call.approval?.expiresAt.toISOString() ?? null,
  }));
  // A call that waits for approval is inserted `pending` (with when it expires); a later record
  // of it (its outcome, once approved or denied) keeps its approval columns.
  return sql`calls as (
    insert into ${runToolCalls} (run_id, tool_call_id, tool_name, input, idempotency_key, is_error,
                                 completed_at, needs_approval, approval_id, decision, expires_at)
    select ${runId}, c.tool_call_id, c.tool_name, c.input, c.idempotency_key, c.is_error,
           case when c.completed then now() end, c.approval_id is not null, c.approval_id,
           case when c.approval_id is not null then 'pending' end, c.expires_at
    from jsonb_to_recordset(${json(rows)}::jsonb) as c(
      tool_call_id text, tool_name text, input jsonb, idempotency_key text, is_error boolean,
      completed boolean, approval_id text, expires_at timestamptz
    )
    where exists (select from run)
    on conflict (run_id, tool_call_id) do update
      set is_error = excluded.is_error, completed_at = excluded.completed_at,
          needs_approval = ${runToolCalls}.needs_approval or excluded.needs_approval,
          approval_id = coalesce(excluded.approval_id, ${runToolCalls}.approval_id),
          decision = coalesce(excluded.decision, ${runToolCalls}.decision),
          expires_at = coalesce(excluded.expires_at, ${runToolCalls}.expires_at)
  )`;
}

export type RunStore = ReturnType<typeof createRunStore>;
