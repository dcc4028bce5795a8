import { runs, type Database } from '@repo/db';
import { problem } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import { endRun } from '@repo/runs';
import { and, asc, eq, lt, sql } from 'drizzle-orm';

export interface RunReaperDependencies {
  db: Database;
  /** The fail-fast queue connection: the final events go to the runs' live streams. */
  redis: Redis;
  prefix: string;
  logger: Logger;
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
export async function reapRuns(deps: RunReaperDependencies): Promise<{ reaped: number }> {
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
