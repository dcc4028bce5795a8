import { once } from 'node:events';
import { databaseTls } from '@repo/config';
import { createMigrationGate, type Database } from '@repo/db';
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
import { applyQueueSettings } from './jobs/queue-settings.ts';
import { createTaskState } from './jobs/task-state.ts';
import { createLeaderLock } from './leadership/leader-lock.ts';
import { createLeadership, type MigrationsStatus, type Phase, type Role } from './leadership/leadership.ts';
import { createRunnerMetrics } from './metrics/runner-metrics.ts';
import { within } from './support/time-bounds.ts';
import { createReplicaWorkers, type ReplicaWorkersState } from './workers/replica-workers.ts';
import { startWorkers } from './workers/workers.ts';

export type { Phase, Role } from './leadership/leadership.ts';

export interface RunnerStatus {
  ready: boolean;
  role: Role;
  /** Where this process is in its leadership: standby, or a term's migrating → scheduling → running. */
  phase: Phase;
  leadership: { postgres: 'ok' | 'unreachable'; leaderSince: string | null; terms: number };
  /** `applied`: the migrations this process applied (a standby never applies any). */
  migrations: MigrationsStatus;
  workers: {
    /** Every worker this process should run now runs (the leader's too, while it leads). */
    running: boolean;
    /** The queues worked on here now: every replica's jobs, plus the leader's while leading. */
    queues: string[];
    /** Every replica's workers: waiting for this build's migrations, then running until stopped. */
    replica: ReplicaWorkersState;
    /** While waiting: the migrations of this build the database does not have yet. */
    pendingMigrations: readonly string[];
  };
}

export interface RedisConnections {
  /** Worker role (waits for Redis): the checks and, duplicated per set of workers, the BullMQ workers. */
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
  /** This replica's name, recorded on every job it runs (`processedBy`), e.g. `host/pid`. */
  instanceName?: string;
}

/**
 * The task-runner without its process. Start-up, in order: Redis checks (version, eviction
 * policy) → cancellation subscription → then two things at once:
 * - **every replica's work**: once the database has every migration of this build, the workers
 *   of the jobs that run on every replica (ingestion, agent runs, summaries) start, and run until
 *   the process stops — leader or standby alike;
 * - **leadership**: the campaign for the leader lock; each term migrates, upserts the job
 *   schedulers and queue settings, and runs the leader's own workers (maintenance), fenced by
 *   the lock.
 * Stopping drains both sets of workers within SHUTDOWN_TIMEOUT_MS, then releases the lock.
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
    redis: redis.queue,
    taskState,
    logger,
    storage: deps.storage,
    metrics: deps.metrics,
  });
  const everyReplica = definitions.filter((definition) => definition.runsOn === 'every-replica');
  const leaderOnly = definitions.filter((definition) => definition.runsOn === 'leader');
  const queueNames = definitions.map((definition) => definition.name);
  const queues = new Map(
    queueNames.map((name) => [
      name,
      new Queue(name, { connection: redis.queue, prefix: config.QUEUE_PREFIX }),
    ]),
  );
  for (const queue of queues.values()) queue.on('error', () => {}); // the connection's owner reports it

  const metrics = createRunnerMetrics(deps.metrics, [...queues.values()], logger);
  const workersOf = (jobs: readonly JobDefinition[], fence?: AbortSignal) =>
    startWorkers({
      definitions: jobs,
      connection: redis.worker,
      prefix: config.QUEUE_PREFIX,
      taskState,
      metrics: metrics.jobs,
      logger,
      fence,
      workerName: deps.instanceName,
      lockDurationMs: config.JOB_LOCK_DURATION_MS,
      stalledIntervalMs: config.JOB_STALLED_INTERVAL_MS,
      telemetry: deps.telemetry,
    });

  // The pool's own check, latched once migrated (the api and the agent gate requests with it).
  const schema = createMigrationGate(db.$client);
  const replica = createReplicaWorkers({
    checkSchema: () => schema.check(),
    pollMs: config.LEADER_POLL_MS,
    startWorkers: () => workersOf(everyReplica),
    logger,
  });

  const lock = createLeaderLock({
    connectionString: config.DATABASE_URL,
    tls: databaseTls(config),
    applicationName: 'task-runner-leader-lock',
    pollMs: config.LEADER_POLL_MS,
    heartbeatTimeoutMs: config.LEADER_HEARTBEAT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    logger,
  });
  const leadership = createLeadership({
    config,
    lock,
    logger,
    leaderGauge: metrics.leader,
    async schedule() {
      const scheduled = jobSchedules(config).filter((schedule) => queueNames.includes(schedule.queue));
      await upsertJobSchedulers(producer, scheduled, logger);
      await applyQueueSettings(definitions, (name) => queues.get(name)!, logger);
    },
    onMigrated: () => replica.checkNow(),
    startLeaderWorkers(fence) {
      const workers = workersOf(leaderOnly, fence);
      logger.info(
        { queues: leaderOnly.map((definition) => definition.name) },
        "the leader's workers started",
      );
      return workers;
    },
    onFatal: deps.onFatal,
  });

  let unsubscribe: (() => Promise<void>) | undefined;
  let stopped: Promise<void> | undefined;

  return {
    /** The queues of the job table, on the fail-fast connection (for bull-board). */
    queues: (): Queue[] => [...queues.values()],

    status(): RunnerStatus {
      const { role, phase } = leadership;
      const leaderWorkersRunning = leadership.workers?.running ?? false;
      const running = replica.running && (role !== 'leader' || leaderWorkersRunning);
      // A standby waiting for this build's migrations is ready: it is what takes over (and
      // migrates) when the old leader stops, so a rollout that waits for it must not stall.
      const ready =
        role === 'leader'
          ? phase === 'running' && running
          : phase === 'standby' &&
            lock.healthy &&
            (replica.running || replica.state === 'waiting-for-schema');
      const working = [
        ...(replica.running ? everyReplica : []),
        ...(role === 'leader' && leaderWorkersRunning ? leaderOnly : []),
      ];
      return {
        ready,
        role,
        phase,
        leadership: {
          postgres: lock.healthy ? 'ok' : 'unreachable',
          leaderSince: leadership.leaderSince?.toISOString() ?? null,
          terms: leadership.terms,
        },
        migrations: leadership.migrations,
        workers: {
          running,
          queues: working.map((definition) => definition.name),
          replica: replica.state,
          pendingMigrations: replica.pendingMigrations,
        },
      };
    },

    /** Checks the dependencies (throws RedisRequirementError), then works and campaigns in the background. */
    async start(): Promise<void> {
      leadership.markChecking();
      const info = await assertRedisRequirements(redis.worker);
      logger.info({ redisVersion: info.version }, 'redis meets the requirements');
      if (redis.queue.status !== 'ready') await once(redis.queue, 'ready');
      // Every replica listens: the job of a cancelled task runs on whichever replica fetched it.
      unsubscribe = await subscribeCancellations(redis.subscriber, config.QUEUE_PREFIX, (taskId) => {
        if (replica.cancel(taskId) || leadership.workers?.cancel(taskId))
          logger.info({ taskId }, 'cancelling the running job of a cancelled task');
      });
      replica.start();
      leadership.start();
    },

    /**
     * Stops fetching, lets active jobs (of both sets of workers) finish within
     * SHUTDOWN_TIMEOUT_MS, hands back the rest, then releases the leader lock. Every step is
     * bounded: it returns even when Redis or Postgres is unreachable. Idempotent.
     */
    stop(): Promise<void> {
      stopped ??= (async () => {
        const budgetMs = config.SHUTDOWN_TIMEOUT_MS;
        const [replicaOutcome, leaderOutcome] = await Promise.all([
          replica.stop(budgetMs),
          leadership.stop(budgetMs),
        ]);
        logger.info(
          { outcome: replicaOutcome ?? 'none', leaderOutcome: leaderOutcome ?? 'none' },
          'workers stopped',
        );
        // Courtesy only: the connections are closed right after this. Skipped when Redis is down,
        // where each would just wait out its bound.
        if (redis.queue.status === 'ready') {
          if (unsubscribe) await within(unsubscribe(), 200);
          const closing = [producer.close(), ...[...queues.values()].map((queue) => queue.close())];
          await within(Promise.all(closing), 500);
        }
        leadership.stopped();
      })();
      return stopped;
    },
  };
}

export type TaskRunner = ReturnType<typeof createTaskRunner>;
