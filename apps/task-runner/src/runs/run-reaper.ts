import { runs, runToolCalls, type Database } from '@repo/db';
import { problem } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import { endRun } from '@repo/runs';
import { and, asc, eq, lt, sql } from 'drizzle-orm';
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

/**
 * Fails the runs whose agent is gone: `running` with a lease that expired (the executing agent
 * renews it every third of RUN_LEASE_MS while it lives). Each ends `failed` with error code
 * `agent-lost` and a final `error` event, numbered after everything the lost agent had streamed,
 * so its followers on every replica see it end. A run whose agent renewed in the meantime is left
 * alone (the lease is checked again in the update). Their tool calls are not repeated: nothing
 * re-executes a lost run; a client that sends the message again starts a new run.
 */
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
  let expired = 0;
  for (const { id: runId } of waiting) {
    const event = await endRun({
      db: deps.db,
      redis: deps.redis,
      prefix: deps.prefix,
      runId,
      from: ['awaiting_approval'],
      where: pendingExpired,
      status: 'failed',
      errorCode: 'approval-expired',
      error: APPROVAL_EXPIRED,
      event: {
        type: 'error',
        data: {
          ...problem(409, APPROVAL_EXPIRED, { type: 'urn:keelson:problem:approval-expired', runId }),
          code: 'approval-expired',
        },
      },
      onLiveError: (error) =>
        deps.logger.warn({ err: error, runId }, 'run expired; its final event is in Postgres only'),
    });
    if (!event) continue;
    expired++;
    await deps.db
      .update(runToolCalls)
      .set({ decision: 'expired' })
      .where(and(eq(runToolCalls.runId, runId), eq(runToolCalls.decision, 'pending')));
    deps.logger.info({ runId, seq: event.seq }, 'run failed: its approval expired');
  }
  return expired;
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

async function reapLostRuns(deps: RunReaperDependencies): Promise<{ reaped: number }> {
  const expired = lt(runs.leaseExpiresAt, sql`now()`);
  const lost = await deps.db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.status, 'running'), expired))
    .orderBy(asc(runs.leaseExpiresAt))
    .limit(BATCH);
  let reaped = 0;
  for (const { id: runId } of lost) {
    const event = await endRun({
      db: deps.db,
      redis: deps.redis,
      prefix: deps.prefix,
      runId,
      from: ['running'],
      where: expired,
      status: 'failed',
      errorCode: 'agent-lost',
      error: AGENT_LOST,
      event: {
        type: 'error',
        data: {
          ...problem(503, AGENT_LOST, { type: 'urn:keelson:problem:agent-lost', runId }),
          code: 'agent-lost',
        },
      },
      onLiveError: (error) =>
        deps.logger.warn({ err: error, runId }, 'lost run failed; its final event is in Postgres only'),
    });
    if (event) {
      reaped++;
      deps.logger.warn({ runId, seq: event.seq }, 'run failed: its agent stopped renewing the lease');
    }
  }
  return { reaped };
}
