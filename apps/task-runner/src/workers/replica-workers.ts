import { setTimeout as sleep } from 'node:timers/promises';
import type { MigrationStatus } from '@repo/db';
import type { Logger } from '@repo/observability';
import type { StopOutcome, Workers } from './workers.ts';

export type ReplicaWorkersState = 'waiting-for-schema' | 'running' | 'stopping' | 'stopped';

export interface ReplicaWorkersOptions {
  /** "Is every migration this build ships applied?" (@repo/db's latched migration gate). */
  checkSchema: () => Promise<MigrationStatus>;
  /** How often to ask again while the answer is no (or Postgres does not answer). */
  pollMs: number;
  /** Starts the workers of every job that runs on every replica. */
  startWorkers: () => Workers;
  logger: Logger;
}

/**
 * The work every replica does, leader or not: it waits until the database has every migration
 * of this build — a replica must never run jobs on a schema it does not know, and only the leader
 * migrates — then runs its workers until the process stops. Leadership changes do not touch
 * them: their jobs are exactly-once by themselves, so nothing needs fencing here.
 */
export function createReplicaWorkers(options: ReplicaWorkersOptions) {
  const { logger } = options;
  const stopping = new AbortController();
  let state: ReplicaWorkersState = 'waiting-for-schema';
  let pending: string[] = [];
  let workers: Workers | undefined;
  let loop: Promise<void> | undefined;
  let nap: AbortController | undefined;
  let recheck = false;
  let stopped: Promise<StopOutcome | undefined> | undefined;

  async function schemaKnown(): Promise<boolean> {
    let reported = false;
    let unreachable = false;
    while (!stopping.signal.aborted) {
      recheck = false;
      try {
        const status = await options.checkSchema();
        unreachable = false;
        if (status.upToDate) return true;
        pending = status.pending;
        if (!reported)
          logger.info({ pending }, 'waiting for the migrations of this build before taking work');
        reported = true;
      } catch (error) {
        if (!unreachable) logger.warn({ err: error }, 'cannot check the database schema; trying again');
        unreachable = true;
      }
      if (recheck) continue; // the leader migrated while we asked: ask again at once
      nap = new AbortController();
      await sleep(options.pollMs, undefined, {
        signal: AbortSignal.any([nap.signal, stopping.signal]),
      }).catch(() => {});
    }
    return false;
  }

  return {
    get state(): ReplicaWorkersState {
      return state;
    },
    /** Migrations this build ships that the database lacks, while waiting for them. */
    get pendingMigrations(): readonly string[] {
      return state === 'waiting-for-schema' ? pending : [];
    },
    get running(): boolean {
      return state === 'running' && (workers?.running ?? false);
    },
    /** Waits for the schema in the background, then starts the workers. */
    start(): void {
      loop ??= schemaKnown().then((known) => {
        if (!known || stopping.signal.aborted) return;
        workers = options.startWorkers();
        state = 'running';
        logger.info('schema up to date; workers of every replica started');
      });
    },
    /** Asks the database again now (the leader has just migrated), instead of at the next poll. */
    checkNow(): void {
      recheck = true;
      nap?.abort();
    },
    /** Aborts the run of this task if one of these workers has it. */
    cancel(taskId: string): boolean {
      return workers?.cancel(taskId) ?? false;
    },
    /** Stops waiting, or drains the workers within `budgetMs` (see Workers.stop). Idempotent. */
    stop(budgetMs: number): Promise<StopOutcome | undefined> {
      stopped ??= (async () => {
        state = 'stopping';
        stopping.abort();
        await loop;
        const outcome = workers ? await workers.stop(budgetMs) : undefined;
        workers = undefined;
        state = 'stopped';
        return outcome;
      })();
      return stopped;
    },
  };
}

export type ReplicaWorkers = ReturnType<typeof createReplicaWorkers>;
