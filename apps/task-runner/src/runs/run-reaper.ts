import { runs, runToolCalls, type Database, type RunStatus, type Transaction } from '@repo/db';
import { problem } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import { endRun } from '@repo/runs';
import { and, asc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { AgentClient } from '../agent/agent-client.ts';

export interface RunReaperDependencies {
  db: Database;
  /** The fail-fast queue connection: the final events go to the runs' live streams. */
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Asks an agent to continue a run whose approvals were decided but which nobody continued. */
  agent?: Pick<AgentClient, 'continueRun'>;
}

/** Runs per pass; a larger backlog (a whole agent fleet lost) is worked off pass by pass. */
const BATCH = 100;

export const AGENT_LOST =
  'The agent running this turn stopped (it crashed, ran out of memory or was replaced) before it finished. ' +
  'Nothing was stored for the reply; send the message again.';

export const APPROVAL_EXPIRED =
  'A tool call waited for approval longer than allowed (RUN_APPROVAL_TIMEOUT_MS): the run ended without ' +
  'running it. Send the message again.';

/** A decided run nobody continued this long after its last decision is continued by the reaper. */
const CONTINUE_AFTER = sql`interval '5 seconds'`;

/** One pass: lost runs, expired approvals, decided runs nobody continued. */
export async function reapRuns(
  deps: RunReaperDependencies,
): Promise<{ reaped: number; expired: number; continued: number }> {
  const { reaped } = await reapLostRuns(deps);
  const expired = await expireApprovals(deps);
  const continued = await continueDecidedRuns(deps);
  return { reaped, expired, continued };
}

/**
 * Ends runs that wait for an approval past its `expires_at`: `failed` with error code
 * `approval-expired` and a final `error` event followers see; the calls that waited are marked
 * `expired` (the model is told, on the conversation's next turn, that they never ran).
 */
async function expireApprovals(deps: RunReaperDependencies): Promise<number> {
  const pendingExpired = sql`exists (
    select from ${runToolCalls} c
    where c.run_id = ${runs.id} and c.decision = 'pending' and c.expires_at <= now()
  )`;
  const waiting = await deps.db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.status, 'awaiting_approval'), pendingExpired))
    .limit(BATCH);
  return failRuns(deps, waiting, {
    from: 'awaiting_approval',
    where: pendingExpired,
    code: 'approval-expired',
    status: 409,
    message: APPROVAL_EXPIRED,
    // In the run's own transaction: a crash cannot leave a failed run with calls still `pending`.
    alsoInTransaction: async (tx, runId) => {
      await tx
        .update(runToolCalls)
        .set({ decision: 'expired' })
        .where(and(eq(runToolCalls.runId, runId), eq(runToolCalls.decision, 'pending')));
    },
    logEnded: (runId, seq) => deps.logger.info({ runId, seq }, 'run failed: its approval expired'),
    liveErrorMessage: 'run expired; its final event is in Postgres only',
  });
}

/**
 * Asks an agent to continue runs whose calls are all decided but which still wait: the api asks
 * right after the last decision, and this covers an api or agent that died in between (or an
 * agent that was down): the decisions are in Postgres, so the run finishes once an agent answers.
 */
async function continueDecidedRuns(deps: RunReaperDependencies): Promise<number> {
  if (!deps.agent) return 0;
  const decided = await deps.db
    .select({ id: runs.id, ownerId: runs.ownerId })
    .from(runs)
    .where(
      and(
        eq(runs.status, 'awaiting_approval'),
        lt(runs.updatedAt, sql`now() - ${CONTINUE_AFTER}`),
        sql`not exists (select from ${runToolCalls} c where c.run_id = ${runs.id} and c.decision = 'pending')`,
      ),
    )
    .limit(BATCH);
  let continued = 0;
  for (const run of decided) {
    try {
      if (await deps.agent.continueRun({ ownerId: run.ownerId, runId: run.id })) continued++;
    } catch (error) {
      deps.logger.warn({ err: error, runId: run.id }, 'could not ask an agent to continue a decided run');
    }
  }
  return continued;
}

/**
 * Fails the runs whose agent is gone: `running` with a lease that expired (the executing agent
 * renews it every third of RUN_LEASE_MS while it lives). Each ends `failed` with error code
 * `agent-lost` and a final `error` event, numbered after everything the lost agent had streamed,
 * so its followers on every replica see it end. A run whose agent renewed in the meantime is left
 * alone (the lease is checked again in the update). Their tool calls are not repeated: nothing
 * re-executes a lost run; a client that sends the message again starts a new run.
 */
async function reapLostRuns(deps: RunReaperDependencies): Promise<{ reaped: number }> {
  const expired = lt(runs.leaseExpiresAt, sql`now()`);
  const lost = await deps.db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.status, 'running'), expired))
    .orderBy(asc(runs.leaseExpiresAt))
    .limit(BATCH);
  const reaped = await failRuns(deps, lost, {
    from: 'running',
    where: expired,
    code: 'agent-lost',
    status: 503,
    message: AGENT_LOST,
    logEnded: (runId, seq) =>
      deps.logger.warn({ runId, seq }, 'run failed: its agent stopped renewing the lease'),
    liveErrorMessage: 'lost run failed; its final event is in Postgres only',
  });
  return { reaped };
}

interface Failure {
  /** The status the run must still have (and `where` still hold) when it is ended. */
  from: RunStatus;
  where: SQL;
  code: string;
  /** The HTTP status of the final `error` event's problem. */
  status: number;
  message: string;
  alsoInTransaction?: (tx: Transaction, runId: string) => Promise<void>;
  logEnded: (runId: string, seq: number) => void;
  liveErrorMessage: string;
}

/**
 * Ends each run `failed` with `failure`'s code and a final `error` event; counts those ended here
 * (a run that changed in the meantime — its agent renewed, a person decided — is left alone).
 */
async function failRuns(
  deps: RunReaperDependencies,
  candidates: readonly { id: string }[],
  failure: Failure,
): Promise<number> {
  let failed = 0;
  for (const { id: runId } of candidates) {
    const { alsoInTransaction } = failure;
    const event = await endRun({
      db: deps.db,
      redis: deps.redis,
      prefix: deps.prefix,
      runId,
      from: [failure.from],
      where: failure.where,
      status: 'failed',
      errorCode: failure.code,
      error: failure.message,
      event: {
        type: 'error',
        data: {
          ...problem(failure.status, failure.message, {
            type: `urn:keelson:problem:${failure.code}`,
            runId,
          }),
          code: failure.code,
        },
      },
      ...(alsoInTransaction ? { alsoInTransaction: (tx: Transaction) => alsoInTransaction(tx, runId) } : {}),
      onLiveError: (error) => deps.logger.warn({ err: error, runId }, failure.liveErrorMessage),
    });
    if (!event) continue;
    failed++;
    failure.logEnded(runId, event.seq);
  }
  return failed;
}
