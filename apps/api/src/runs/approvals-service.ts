import { runs, runToolCalls, type Database, type RunStatus } from '@repo/db';
import { and, asc, eq, sql } from 'drizzle-orm';

/** A person's decision on one tool call of a run that waits for approval. */
export interface ApprovalDecisionInput {
  toolCallId: string;
  approved: boolean;
  reason?: string | undefined;
}

/** A tool call that needed approval, as its owner reads it. */
export interface ApprovalView {
  toolCallId: string;
  approvalId: string | null;
  toolName: string;
  input: unknown;
  decision: 'pending' | 'approved' | 'denied' | 'expired';
  reason: string | null;
  expiresAt: Date | null;
  decidedAt: Date | null;
}

export type DecideOutcome =
  /** Stored (or already stored the same way); `remaining`: calls of the run still pending. */
  | { kind: 'recorded'; remaining: number }
  | { kind: 'no-run' }
  | { kind: 'not-awaiting'; status: RunStatus }
  | { kind: 'unknown-call'; toolCallId: string }
  | { kind: 'decided'; toolCallId: string; decision: string }
  | { kind: 'expired'; toolCallId: string };

const approvalColumns = {
  toolCallId: runToolCalls.toolCallId,
  approvalId: runToolCalls.approvalId,
  toolName: runToolCalls.toolName,
  input: runToolCalls.input,
  decision: runToolCalls.decision,
  reason: runToolCalls.reason,
  expiresAt: runToolCalls.expiresAt,
  decidedAt: runToolCalls.decidedAt,
};

/**
 * The approvals of runs that paused for a person's decision. The agent stores the calls that wait
 * (`run_tool_calls`, `pending` with `expires_at`); decisions are recorded here, under a row lock
 * on the run, so two replicas deciding at once are serialized: the first stores its decision, the
 * second finds it (the same decision: accepted again; a different one: `decided`).
 */
export function createApprovalsService(db: Database) {
  return {
    /** The run's calls that needed approval, in the order they were made. */
    async list(runId: string): Promise<ApprovalView[]> {
      const rows = await db
        .select(approvalColumns)
        .from(runToolCalls)
        .where(and(eq(runToolCalls.runId, runId), eq(runToolCalls.needsApproval, true)))
        .orderBy(asc(runToolCalls.createdAt), asc(runToolCalls.toolCallId));
      return rows.map((row) => ({ ...row, decision: row.decision ?? 'pending' }));
    },

    /**
     * Records decisions, all or none: every call named must be one of the run's that waits (or
     * was decided the same way before: idempotent), the run must be awaiting approval, and no
     * call may have expired.
     */
    async decide(
      ownerId: string,
      runId: string,
      decisions: readonly ApprovalDecisionInput[],
    ): Promise<DecideOutcome> {
      return db.transaction(async (tx): Promise<DecideOutcome> => {
        const [run] = await tx
          .select({ status: runs.status })
          .from(runs)
          .where(and(eq(runs.id, runId), eq(runs.ownerId, ownerId)))
          .for('update');
        if (!run) return { kind: 'no-run' };
        if (run.status !== 'awaiting_approval') return { kind: 'not-awaiting', status: run.status };
        const calls = await tx
          .select({
            toolCallId: runToolCalls.toolCallId,
            decision: runToolCalls.decision,
            // Postgres' clock, the one the reaper expires calls by.
            expired: sql<boolean>`${runToolCalls.expiresAt} <= now()`,
          })
          .from(runToolCalls)
          .where(and(eq(runToolCalls.runId, runId), eq(runToolCalls.needsApproval, true)));
        const byId = new Map(calls.map((call) => [call.toolCallId, call]));
        const toStore: ApprovalDecisionInput[] = [];
        for (const decision of decisions) {
          const call = byId.get(decision.toolCallId);
          if (!call) return { kind: 'unknown-call', toolCallId: decision.toolCallId };
          const wanted = decision.approved ? 'approved' : 'denied';
          if (call.decision !== 'pending') {
            if (call.decision === wanted) continue;
            return { kind: 'decided', toolCallId: call.toolCallId, decision: call.decision ?? 'none' };
          }
          if (call.expired) return { kind: 'expired', toolCallId: call.toolCallId };
          toStore.push(decision);
        }
        for (const decision of toStore) {
          await tx
            .update(runToolCalls)
            .set({
              decision: decision.approved ? 'approved' : 'denied',
              reason: decision.reason ?? null,
              decidedAt: sql`now()`,
            })
            .where(
              and(
                eq(runToolCalls.runId, runId),
                eq(runToolCalls.toolCallId, decision.toolCallId),
                eq(runToolCalls.decision, 'pending'),
              ),
            );
        }
        const decided = new Set(toStore.map((decision) => decision.toolCallId));
        const remaining = calls.filter(
          (call) => call.decision === 'pending' && !decided.has(call.toolCallId),
        ).length;
        // The run's row changes too, so `updated_at` says when it was last decided (the reaper
        // asks an agent again for a decided run nobody continued, some seconds after this).
        await tx
          .update(runs)
          .set({ updatedAt: sql`now()` })
          .where(eq(runs.id, runId));
        return { kind: 'recorded', remaining };
      });
    },
  };
}

export type ApprovalsService = ReturnType<typeof createApprovalsService>;
