import {
  activeRunStatuses,
  conversations,
  runEvents,
  runs,
  runToolCalls,
  type Database,
  type Run,
  type Transaction,
} from '@repo/db';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import { endRun, publishRunCancel } from '@repo/runs';
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { after, cursorTime, toPage, type Position } from '../http/pagination.ts';
import { createApprovalsService, type ApprovalView } from './approvals-service.ts';

/** A conversation's active run, as the chat's resume route replays it. */
export interface ActiveRun {
  runId: string;
  /** Its `approval-requested` events up to this seq were answered (the run went on after them). */
  answeredThroughSeq: number;
}

export interface RunsServiceDependencies {
  db: Database;
  /** The producer's connection: cancel messages, and final events of runs ended here. */
  redis: Redis;
  prefix: string;
  logger: Logger;
}

const view = {
  id: runs.id,
  conversationId: runs.conversationId,
  taskId: runs.taskId,
  status: runs.status,
  provider: runs.provider,
  model: runs.model,
  userMessageId: runs.userMessageId,
  replyMessageId: runs.replyMessageId,
  inputTokens: runs.inputTokens,
  outputTokens: runs.outputTokens,
  steps: runs.steps,
  finishReason: runs.finishReason,
  errorCode: runs.errorCode,
  error: runs.error,
  cancelRequestedAt: runs.cancelRequestedAt,
  lastSeq: runs.lastSeq,
  createdAt: runs.createdAt,
  startedAt: runs.startedAt,
  finishedAt: runs.finishedAt,
  updatedAt: runs.updatedAt,
};

/** A run whose cancel was asked for, and the status it had then. */
export interface CancelRequest {
  id: string;
  status: Run['status'];
}

/** A run as its owner reads it. */
export function present(row: Pick<Run, keyof typeof view>) {
  const { inputTokens, outputTokens, errorCode, error, ...rest } = row;
  return {
    ...rest,
    usage: { inputTokens, outputTokens },
    error: errorCode === null ? null : { code: errorCode, message: error ?? '' },
  };
}

export type RunView = ReturnType<typeof present>;
/** A run with the tool calls that needed a person's approval (GET /v1/runs/:id). */
export type RunDetail = RunView & { approvals: ApprovalView[] };

/**
 * Runs as their owner sees and stops them. The agent executes runs and writes them; the api reads
 * them, and cancels: a running run through its agent (the cancel channel, with the request kept
 * in the row for an agent that missed the message), a run that no agent holds (queued, waiting
 * for an approval) right here, with its final event.
 */
export function createRunsService({ db, redis, prefix, logger }: RunsServiceDependencies) {
  const approvals = createApprovalsService(db);
  const find = async (ownerId: string, runId: string) => {
    const [row] = await db
      .select(view)
      .from(runs)
      .where(and(eq(runs.id, runId), eq(runs.ownerId, ownerId)));
    return row;
  };

  /** Marks the active runs matching `where` as to be cancelled; they are settled after commit. */
  async function requestCancel(tx: Database | Transaction, where: SQL | undefined): Promise<CancelRequest[]> {
    return tx
      .update(runs)
      .set({ cancelRequestedAt: sql`coalesce(${runs.cancelRequestedAt}, now())`, updatedAt: sql`now()` })
      .where(and(where, inArray(runs.status, [...activeRunStatuses])))
      .returning({ id: runs.id, status: runs.status });
  }

  /**
   * Stops runs whose cancel was asked for: a running one through its agent (the cancel channel;
   * if the message is lost, the agent finds the request in the row at its next flush), one that
   * no agent holds (queued, waiting for an approval) right here, with its `cancelled` event
   * (a waiting run's pending calls become `expired` in the same transaction).
   */
  async function settle(requested: readonly CancelRequest[]): Promise<void> {
    for (const { id: runId, status } of requested) {
      if (status === 'running') {
        await publishRunCancel(redis, prefix, runId).catch((error: unknown) =>
          logger.warn(
            { err: error, runId },
            'could not publish a run cancel; its agent finds it at its next flush',
          ),
        );
        continue;
      }
      await endRun({
        db,
        redis,
        prefix,
        runId,
        from: ['queued', 'awaiting_approval'],
        status: 'cancelled',
        errorCode: 'cancelled',
        error: 'The run was cancelled.',
        event: { type: 'cancelled', data: { runId, status: 'cancelled', code: 'cancelled', reply: null } },
        // A waiting run's calls can no longer be decided: `expired`, with the run's end (never a
        // cancelled run showing a call `pending`). The model is told on the next turn they never ran.
        alsoInTransaction: async (tx) => {
          await tx
            .update(runToolCalls)
            .set({ decision: 'expired' })
            .where(and(eq(runToolCalls.runId, runId), eq(runToolCalls.decision, 'pending')));
        },
        onLiveError: (error) =>
          logger.warn({ err: error, runId }, 'run cancelled; its final event is in Postgres only'),
      });
    }
  }

  return {
    /** Another owner's run is reported exactly like a missing one. */
    async get(ownerId: string, runId: string): Promise<RunView | undefined> {
      const row = await find(ownerId, runId);
      return row && present(row);
    },

    /** The run and its calls that needed approval (pending, decided or expired). */
    async detail(ownerId: string, runId: string): Promise<RunDetail | undefined> {
      const row = await find(ownerId, runId);
      return row && { ...present(row), approvals: await approvals.list(runId) };
    },

    /** The runs' tool calls that need a person's approval: listed in `detail`, decided there. */
    approvals,

    /**
     * A conversation's runs, newest first, keyset on (created_at, id) — served by
     * runs_conversation_created_idx. Undefined when the conversation is not the owner's.
     */
    async list(
      ownerId: string,
      conversationId: string,
      options: { limit: number; cursor?: Position | undefined },
    ) {
      const [conversation] = await db
        .select({ id: conversations.id })
        .from(conversations)
        .where(and(eq(conversations.id, conversationId), eq(conversations.ownerId, ownerId)));
      if (!conversation) return undefined;
      const rows = await db
        .select({ ...view, cursorTime: cursorTime(runs.createdAt) })
        .from(runs)
        .where(
          and(
            eq(runs.conversationId, conversationId),
            options.cursor ? after(runs.createdAt, runs.id, options.cursor) : undefined,
          ),
        )
        .orderBy(desc(runs.createdAt), desc(runs.id))
        .limit(options.limit + 1);
      const { items, nextCursor } = toPage(rows, options.limit);
      return { items: items.map(({ cursorTime: _, ...row }) => present(row)), nextCursor };
    },

    /**
     * The active run (queued, running, awaiting approval) of the owner's conversation: `null` when
     * none is active, undefined when there is no such conversation for this owner.
     */
    async active(ownerId: string, conversationId: string): Promise<ActiveRun | null | undefined> {
      const [row] = await db
        .select({ conversationId: conversations.id, runId: runs.id, status: runs.status })
        .from(conversations)
        .leftJoin(
          runs,
          and(eq(runs.conversationId, conversations.id), inArray(runs.status, [...activeRunStatuses])),
        )
        .where(and(eq(conversations.id, conversationId), eq(conversations.ownerId, ownerId)))
        .limit(1);
      if (!row) return undefined;
      if (row.runId === null || row.status === null) return null;
      // The pauses this run already came back from: a replay shows their calls as asked, not as
      // waiting (only the pause it is in now, if any, waits for a decision).
      const [pause] = await db
        .select({ seq: sql<number | null>`max(${runEvents.seq})`.mapWith(Number) })
        .from(runEvents)
        .where(and(eq(runEvents.runId, row.runId), eq(runEvents.type, 'approval-requested')));
      const lastPause = pause?.seq ?? 0;
      const answeredThroughSeq = row.status === 'awaiting_approval' ? lastPause - 1 : lastPause;
      return { runId: row.runId, answeredThroughSeq: Math.max(answeredThroughSeq, 0) };
    },

    /**
     * Cancels a run; idempotent. A finished run answers as it is (`accepted: false`). A running
     * one is stopped by its agent within about a second, which stores what it produced and ends
     * it (`accepted: true`: follow its events for the end; the run as read back may already show
     * that end). A run that no agent executes ends
     * here, at once.
     */
    async cancel(ownerId: string, runId: string): Promise<{ run: RunView; accepted: boolean } | undefined> {
      if (!(await find(ownerId, runId))) return undefined;
      const requested = await requestCancel(db, eq(runs.id, runId));
      await settle(requested);
      const row = (await find(ownerId, runId))!;
      // Accepted when this request found the run running: its agent stops it. Decided by what
      // the request found, not by the row read back — the agent may have stored the end already.
      return { run: present(row), accepted: requested.some((run) => run.status === 'running') };
    },

    /**
     * Inside the caller's transaction (cancelling a task): marks the active runs matching
     * `where`; pass them to `settle` once it committed.
     */
    requestCancel,
    settle,
  };
}

export type RunsService = ReturnType<typeof createRunsService>;
