import { setTimeout as sleep } from 'node:timers/promises';
import { migrationConnection } from '@repo/config';
import { runMigrations } from '@repo/db';
import { connectionFailure } from '@repo/http';
import type { Gauge, Logger } from '@repo/observability';
import type { TaskRunnerConfig } from '../config.ts';
import { whenAborted, within } from '../support/time-bounds.ts';
import type { StopOutcome, Workers } from '../workers/workers.ts';
import type { LeaderLock, LeaderTerm } from './leader-lock.ts';

export type Role = 'leader' | 'standby';
export type Phase =
  | 'starting'
  | 'checking'
  | 'standby'
  | 'migrating'
  | 'scheduling'
  | 'running'
  | 'stepping-down'
  | 'stopping'
  | 'stopped'
  | 'failed';

export interface MigrationsStatus {
  state: 'not-run' | 'running' | 'applied' | 'failed';
  /** The migrations this process applied (a standby never applies any). */
  applied: string[];
}

export interface LeadershipOptions {
  config: TaskRunnerConfig;
  lock: LeaderLock;
  logger: Logger;
  /** task_runner_leader: 1 during a term. */
  leaderGauge: Pick<Gauge, 'set'>;
  /** The leader's duties after migrating: job schedulers and queue settings in Redis. */
  schedule: () => Promise<void>;
  /** The migrations are applied: every replica's workers may start (see ReplicaWorkers.checkNow). */
  onMigrated: () => void;
  /** Starts the workers of the leader's own jobs, fenced by the term's signal. */
  startLeaderWorkers: (fence: AbortSignal) => Workers;
  /** The runner cannot go on (a migration failed): the process should exit non-zero. */
  onFatal?: (error: Error) => void;
}

/** A failure that retrying as leader would only repeat. */
class FatalError extends Error {}

const MIGRATOR_NAME = 'task-runner-migrator';

/**
 * Campaigns for the leader lock and, each time this process wins it, runs a *term*: migrations →
 * job schedulers and queue settings → the leader's workers, until the lock is lost or the process
 * stops. Losing the lock stops the leader's workers at once (every active job is handed back) and
 * the process stands by again; stopping drains them within the shutdown budget and then releases
 * the lock, so a standby takes over immediately. Only the leader's duties live here: the jobs of
 * every replica run whatever the role (ReplicaWorkers).
 */
export function createLeadership(options: LeadershipOptions) {
  const { config, lock, logger } = options;
  const stopping = new AbortController();
  const migrations: MigrationsStatus = { state: 'not-run', applied: [] };
  let role: Role = 'standby';
  let phase: Phase = 'starting';
  let term: LeaderTerm | undefined;
  let leaderSince: Date | undefined;
  let terms = 0;
  let workers: Workers | undefined;
  let campaign: Promise<void> | undefined;

  const ended = (current: LeaderTerm) => current.signal.aborted || stopping.signal.aborted;

  async function lead(current: LeaderTerm): Promise<void> {
    term = current;
    role = 'leader';
    leaderSince = new Date();
    terms++;
    options.leaderGauge.set(1);
    logger.info({ term: terms }, 'elected leader');
    let failure: unknown;
    try {
      phase = 'migrating';
      migrations.state = 'running';
      try {
        const result = await runMigrations({
          // As the schema's owner (MIGRATION_DATABASE_URL), or as DATABASE_URL's role without it.
          ...migrationConnection(config),
          logger,
          applicationName: MIGRATOR_NAME,
        });
        migrations.state = 'applied';
        migrations.applied = [...migrations.applied, ...result.applied];
      } catch (error) {
        migrations.state = 'failed';
        // Postgres unreachable or still starting up (57P03) is not a broken migration: a leader
        // re-elected the moment the database returns steps down and tries again, instead of
        // exiting (the container suite's Postgres outage caught exactly that restart).
        if (connectionFailure(error))
          throw new Error('migrations could not reach Postgres', { cause: error });
        throw new FatalError('migrations failed', { cause: error });
      }
      options.onMigrated();
      if (ended(current)) return;

      phase = 'scheduling';
      await options.schedule();
      if (ended(current)) return;

      workers = options.startLeaderWorkers(current.signal);
      phase = 'running';
      await Promise.race([whenAborted(current.signal), whenAborted(stopping.signal)]);
    } catch (error) {
      failure = error;
    } finally {
      // On stop, stop() drains the workers and releases the lock itself, within its budget.
      if (!stopping.signal.aborted) await stepDown(current, failure);
    }
  }

  async function stepDown(current: LeaderTerm, failure: unknown): Promise<void> {
    phase = 'stepping-down';
    const reason = current.signal.aborted
      ? (current.signal.reason as Error).message
      : 'leader start-up failed';
    if (workers) {
      const outcome = await workers.stopNow(reason);
      logger.warn({ outcome, reason }, "the leader's workers stopped");
      workers = undefined;
    }
    await current.release();
    term = undefined;
    role = 'standby';
    leaderSince = undefined;
    options.leaderGauge.set(0);
    if (failure instanceof FatalError) {
      phase = 'failed';
      logger.fatal({ err: failure }, 'cannot run as leader');
      options.onFatal?.(failure);
      return;
    }
    if (failure) logger.error({ err: failure }, 'could not start as leader; standing by to try again');
    phase = 'standby';
    // A deposed leader lets the standbys (polling every LEADER_POLL_MS) go first: whatever cost
    // it the lock (a flaky connection, a slow host) may well cost it the next term too.
    await sleep(2 * config.LEADER_POLL_MS, undefined, { signal: stopping.signal }).catch(() => {});
  }

  async function campaignForLeadership(): Promise<void> {
    while (!stopping.signal.aborted && phase !== 'failed') {
      const acquired = await lock.acquire(stopping.signal);
      if (!acquired) return;
      await lead(acquired);
    }
  }

  return {
    get role(): Role {
      return role;
    },
    get phase(): Phase {
      return phase;
    },
    /** Before the campaign: the runner checks its dependencies. */
    markChecking(): void {
      phase = 'checking';
    },
    get leaderSince(): Date | undefined {
      return leaderSince;
    },
    get terms(): number {
      return terms;
    },
    migrations,
    /** The leader's workers, while this process leads and they run. */
    get workers(): Workers | undefined {
      return workers;
    },

    /** Campaigns in the background; a failure the process cannot survive goes to onFatal. */
    start(): void {
      phase = 'standby';
      campaign = campaignForLeadership().catch((error: unknown) => {
        phase = 'failed';
        options.onFatal?.(error instanceof Error ? error : new Error(String(error)));
      });
    },

    /**
     * Ends the campaign and the term: waits for a term in the middle of migrating or scheduling
     * to notice, then the leader's workers get `budgetMs` overall to drain (see Workers.stop), and
     * the lock is released. Bounded; called once, by the runner's stop().
     */
    async stop(budgetMs: number): Promise<StopOutcome | undefined> {
      const deadline = Date.now() + budgetMs;
      phase = 'stopping';
      stopping.abort();
      if (campaign) await within(campaign, budgetMs);
      let outcome: StopOutcome | undefined;
      if (workers) {
        outcome = await workers.stop(Math.max(0, deadline - Date.now()));
        workers = undefined;
      }
      if (term) await term.release();
      term = undefined;
      role = 'standby';
      options.leaderGauge.set(0);
      return outcome;
    },

    /** After stop(): the process is done. */
    stopped(): void {
      phase = 'stopped';
    },
  };
}

export type Leadership = ReturnType<typeof createLeadership>;
