import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { databaseTls, migrationConnection } from '@repo/config';
import { runMigrations, type Database } from '@repo/db';
import { connectionFailure } from '@repo/http';
import type { Logger, Registry } from '@repo/observability';
import {
  assertRedisRequirements,
  createProducer,
  isConnectionError,
  subscribeCancellations,
  type Redis,
} from '@repo/queue';
import type { ObjectStorage } from '@repo/storage';
import { Queue, type Telemetry } from 'bullmq';
import type { TaskRunnerConfig } from './config.ts';
import type { JobDefinition } from './jobs/job-definition.ts';
import { upsertJobSchedulers } from './jobs/job-schedulers.ts';
import { jobSchedules, jobTable, type JobTableDependencies } from './jobs/job-table.ts';
import { createTaskState } from './jobs/task-state.ts';
import { createLeaderLock, type LeaderTerm } from './leadership/leader-lock.ts';
import { createRunnerMetrics } from './metrics/runner-metrics.ts';
import { whenAborted, within } from './support/time-bounds.ts';
import { startWorkers, type Workers } from './workers/workers.ts';

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

export interface RunnerStatus {
  ready: boolean;
  role: Role;
  phase: Phase;
  leadership: { postgres: 'ok' | 'unreachable'; leaderSince: string | null; terms: number };
  /** `applied`: the migrations this process applied (a standby never applies any). */
  migrations: { state: 'not-run' | 'running' | 'applied' | 'failed'; applied: string[] };
  workers: { running: boolean; queues: string[] };
}

export interface RedisConnections {
  /** Worker role (waits for Redis): the checks and, duplicated per term, the BullMQ workers. */
  worker: Redis;
  /** Producer role (fails fast): schedulers, maintenance, queue metrics and bull-board. */
  queue: Redis;
  /** Dedicated to the cancellation subscription: a subscribed connection runs no other command. */
  subscriber: Redis;
}

export interface TaskRunnerDependencies {
  config: TaskRunnerConfig;
  logger: Logger;
  db: Database;
  redis: RedisConnections;
  metrics: Registry;
  /** Uploaded files (S3); undefined without S3_BUCKET. */
  storage?: ObjectStorage | undefined;
  /** The job table (default `jobTable`); tests add jobs of their own through it. */
  jobs?: (shared: JobTableDependencies) => JobDefinition[];
  /** The runner cannot go on (a migration failed): the process should exit non-zero. */
  onFatal?: (error: Error) => void;
  /** BullMQ tracing for the producer and the workers (`queueTelemetry()`); none when undefined. */
  telemetry?: Telemetry;
}

/** A failure that retrying as leader would only repeat. */
class FatalError extends Error {}

const MIGRATOR_NAME = 'task-runner-migrator';

/**
 * The task-runner without its process. Start-up, in order: Redis checks (version, eviction
 * policy) → cancellation subscription → leadership. Each time this process wins the leader lock
 * it runs a *term*: migrations → job schedulers → workers, until the lock is lost or the process
 * stops. Losing the lock stops the workers at once (every active job is handed back) and the
 * process stands by again; stopping drains them within the shutdown budget and then releases
 * the lock, so a standby takes over immediately.
 */
export function createTaskRunner(deps: TaskRunnerDependencies) {
  const { config, logger, db, redis } = deps;
  const producer = createProducer({
    connection: redis.queue,
    prefix: config.QUEUE_PREFIX,
    timeoutMs: 2_000,
    telemetry: deps.telemetry,
    onError: (error) => {
      if (!isConnectionError(error)) logger.warn({ err: error }, 'queue error');
    },
  });
  const taskState = createTaskState(db);
  const definitions = (deps.jobs ?? jobTable)({
    config,
    db,
    producer,
    taskState,
    logger,
    storage: deps.storage,
  });
  const queueNames = definitions.map((definition) => definition.name);
  const queues = new Map(
    queueNames.map((name) => [
      name,
      new Queue(name, { connection: redis.queue, prefix: config.QUEUE_PREFIX }),
    ]),
  );
  for (const queue of queues.values()) queue.on('error', () => {}); // the connection's owner reports it

  const metrics = createRunnerMetrics(deps.metrics, [...queues.values()], logger);

  const lock = createLeaderLock({
    connectionString: config.DATABASE_URL,
    tls: databaseTls(config),
    applicationName: 'task-runner-leader-lock',
    pollMs: config.LEADER_POLL_MS,
    heartbeatTimeoutMs: config.LEADER_HEARTBEAT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    logger,
  });
  const stopping = new AbortController();
  const migrations: RunnerStatus['migrations'] = { state: 'not-run', applied: [] };
  let role: Role = 'standby';
  let phase: Phase = 'starting';
  let term: LeaderTerm | undefined;
  let leaderSince: Date | undefined;
  let terms = 0;
  let workers: Workers | undefined;
  let campaign: Promise<void> | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let stopped: Promise<void> | undefined;

  const ended = (current: LeaderTerm) => current.signal.aborted || stopping.signal.aborted;

  async function lead(current: LeaderTerm): Promise<void> {
    term = current;
    role = 'leader';
    leaderSince = new Date();
    terms++;
    metrics.leader.set(1);
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
      if (ended(current)) return;

      phase = 'scheduling';
      const scheduled = jobSchedules(config).filter((schedule) => queueNames.includes(schedule.queue));
      await upsertJobSchedulers(producer, scheduled, logger);
      if (ended(current)) return;

      workers = startWorkers({
        definitions,
        connection: redis.worker,
        prefix: config.QUEUE_PREFIX,
        taskState,
        metrics: metrics.jobs,
        logger,
        fence: current.signal,
        lockDurationMs: config.JOB_LOCK_DURATION_MS,
        stalledIntervalMs: config.JOB_STALLED_INTERVAL_MS,
        telemetry: deps.telemetry,
      });
      phase = 'running';
      logger.info({ queues: queueNames }, 'workers started');
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
      logger.warn({ outcome, reason }, 'workers stopped');
      workers = undefined;
    }
    await current.release();
    term = undefined;
    role = 'standby';
    leaderSince = undefined;
    metrics.leader.set(0);
    if (failure instanceof FatalError) {
      phase = 'failed';
      logger.fatal({ err: failure }, 'cannot run as leader');
      deps.onFatal?.(failure);
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
    /** The queues of the job table, on the fail-fast connection (for bull-board). */
    queues: (): Queue[] => [...queues.values()],

    status(): RunnerStatus {
      const running = workers?.running ?? false;
      const ready = role === 'leader' ? phase === 'running' && running : phase === 'standby' && lock.healthy;
      return {
        ready,
        role,
        phase,
        leadership: {
          postgres: lock.healthy ? 'ok' : 'unreachable',
          leaderSince: leaderSince?.toISOString() ?? null,
          terms,
        },
        migrations,
        workers: { running, queues: running ? queueNames : [] },
      };
    },

    /** Checks the dependencies (throws RedisRequirementError), then campaigns in the background. */
    async start(): Promise<void> {
      phase = 'checking';
      const info = await assertRedisRequirements(redis.worker);
      logger.info({ redisVersion: info.version }, 'redis meets the requirements');
      if (redis.queue.status !== 'ready') await once(redis.queue, 'ready');
      unsubscribe = await subscribeCancellations(redis.subscriber, config.QUEUE_PREFIX, (taskId) => {
        if (workers?.cancel(taskId))
          logger.info({ taskId }, 'cancelling the running job of a cancelled task');
      });
      phase = 'standby';
      campaign = campaignForLeadership().catch((error: unknown) => {
        phase = 'failed';
        deps.onFatal?.(error instanceof Error ? error : new Error(String(error)));
      });
    },

    /**
     * Stops fetching, lets active jobs finish within SHUTDOWN_TIMEOUT_MS, hands back the rest,
     * then releases the leader lock. Every step is bounded: it returns even when Redis or
     * Postgres is unreachable. Idempotent.
     */
    stop(): Promise<void> {
      stopped ??= (async () => {
        const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
        phase = 'stopping';
        stopping.abort();
        // A term in the middle of migrating or scheduling notices the stop at its next step.
        if (campaign) await within(campaign, config.SHUTDOWN_TIMEOUT_MS);
        if (workers) {
          const outcome = await workers.stop(Math.max(0, deadline - Date.now()));
          logger.info({ outcome }, 'workers stopped');
          workers = undefined;
        }
        if (term) await term.release();
        term = undefined;
        role = 'standby';
        metrics.leader.set(0);
        // Courtesy only: the connections are closed right after this. Skipped when Redis is down,
        // where each would just wait out its bound.
        if (redis.queue.status === 'ready') {
          if (unsubscribe) await within(unsubscribe(), 200);
          const closing = [producer.close(), ...[...queues.values()].map((queue) => queue.close())];
          await within(Promise.all(closing), 500);
        }
        phase = 'stopped';
      })();
      return stopped;
    },
  };
}

export type TaskRunner = ReturnType<typeof createTaskRunner>;
