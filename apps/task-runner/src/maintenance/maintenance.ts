import { countOpenTasks, documents, tasks, type Database, type Task } from '@repo/db';
import type { Logger } from '@repo/observability';
import { jobNames, jobs, type JobName, type Producer } from '@repo/queue';
import { isStorageUnavailable, type ObjectStorage } from '@repo/storage';
import { and, asc, eq, inArray, lt } from 'drizzle-orm';
import type { JobDefinition } from '../jobs/job-definition.ts';
import type { TaskState } from '../jobs/task-state.ts';
import { bounded } from '../support/time-bounds.ts';
import { CANCELLED } from '../workers/job-processor.ts';

export interface MaintenancePolicy {
  /** Finished tasks older than this are deleted, with their queue entries. */
  retentionMs: number;
  /** A `running` task whose job is gone from Redis is failed after this long. */
  stuckAfterMs: number;
  /** A `queued` task whose job is gone from Redis is re-enqueued after this long. */
  requeueAfterMs: number;
  /**
   * A row is only compared with its job once it has not changed for this long, so maintenance
   * never races a processor that is writing the row right now.
   */
  settleMs?: number;
  /** Rows per statement, and per run for the reconciliations: a backlog is worked off run by run. */
  batchSize?: number;
  /**
   * A stored object no document refers to is deleted once it is older than this (default 1 h):
   * an upload writes its object a moment before its row commits, so a fresh one is left alone.
   */
  orphanGraceMs?: number;
}

export interface MaintenanceDependencies {
  db: Database;
  /** Queue access on a fail-fast connection: a maintenance run never waits for Redis. */
  producer: Producer;
  taskState: TaskState;
  /**
   * The jobs this runner runs, by queue: only their tasks are healed, and a task declared failed
   * gets its job's final-failure hook.
   */
  definitions: ReadonlyMap<string, JobDefinition>;
  logger: Logger;
  /** Uploaded files; without it (no S3_BUCKET) step 4 is skipped. */
  storage?: ObjectStorage | undefined;
  /** Bound of every Redis call (default 5 s): BullMQ waits for a connection that never came up. */
  redisTimeoutMs?: number;
}

export interface MaintenanceReport {
  /** Finished tasks deleted (their queue entries with them). */
  purged: number;
  /** Queued tasks whose job was missing, enqueued again. */
  requeued: number;
  /** Tasks failed because their job is gone (stuck in `running`) or their input is invalid. */
  failed: number;
  /** Tasks whose row missed their job's final state (completed/failed in Redis), now mirrored. */
  reconciled: number;
  /** Stored files no document refers to (a failed clean-up, a crash mid-request), deleted. */
  orphanedObjects: number;
  /** Multipart uploads abandoned mid-file (the api died), aborted so their parts are freed. */
  abandonedUploads: number;
}

const FINAL = ['succeeded', 'failed', 'cancelled'] as const;
const IN_PROGRESS = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The `maintenance` job: keeps the `tasks` table and the queues consistent and bounded.
 * 1. Purge: finished tasks past the retention period are deleted with their queue entries.
 * 2. Heal `running` tasks: a row that missed its job's final state is mirrored; a row whose job is
 *    gone (e.g. a Redis failover lost it) is failed after `stuckAfterMs`.
 * 3. Heal `queued` tasks: a row whose job is missing — the api committed the row but the enqueue
 *    answer was lost and its compensation failed — is enqueued again. The job id is the task id,
 *    so a job that did arrive meanwhile is not duplicated.
 * 4. Object storage: deletes stored files no document refers to, and aborts multipart uploads
 *    left unfinished, both once older than `orphanGraceMs`. Skipped (with a warning) while the
 *    storage server is unreachable; the next run catches up.
 * Every step is conditional and idempotent: two runs at once (or a run retried) do no harm.
 */
export async function runMaintenance(
  deps: MaintenanceDependencies,
  policy: MaintenancePolicy,
  signal?: AbortSignal,
): Promise<MaintenanceReport> {
  const { db, producer, taskState, logger } = deps;
  const batchSize = policy.batchSize ?? 500;
  const settleMs = policy.settleMs ?? 60_000;
  const redisTimeoutMs = deps.redisTimeoutMs ?? 5_000;
  const report: MaintenanceReport = {
    purged: 0,
    requeued: 0,
    failed: 0,
    reconciled: 0,
    orphanedObjects: 0,
    abandonedUploads: 0,
  };
  const ago = (ms: number) => new Date(Date.now() - ms);

  // 1. Purge, batch by batch. Queue entries go first: if Redis fails, nothing was deleted yet.
  for (;;) {
    signal?.throwIfAborted();
    const batch = await db
      .select({ id: tasks.id, type: tasks.type })
      .from(tasks)
      .where(and(inArray(tasks.status, FINAL), lt(tasks.updatedAt, ago(policy.retentionMs))))
      .limit(batchSize);
    if (batch.length === 0) break;
    await bounded(
      Promise.all(
        batch.flatMap((task) => (isJobName(task.type) ? [removeJob(producer, task.type, task.id)] : [])),
      ),
      redisTimeoutMs,
      'redis (removing jobs)',
    );
    const deleted = await db
      .delete(tasks)
      .where(
        and(
          inArray(
            tasks.id,
            batch.map((task) => task.id),
          ),
          inArray(tasks.status, FINAL),
        ),
      )
      .returning({ id: tasks.id });
    report.purged += deleted.length;
    if (batch.length < batchSize) break;
  }

  // 2 and 3. Compare settled open tasks with their jobs.
  const candidates = async (status: 'running' | 'queued', olderThanMs: number) =>
    db
      .select()
      .from(tasks)
      .where(and(eq(tasks.status, status), lt(tasks.updatedAt, ago(olderThanMs))))
      .orderBy(asc(tasks.updatedAt))
      .limit(batchSize);

  const declareFailed = async (task: Task, error: string) => {
    await taskState.failed(task.id, error, true);
    const definition = deps.definitions.get(task.type);
    const payload = definition?.payload.safeParse({ ...asObject(task.input), taskId: task.id });
    if (definition?.onFinalFailure && payload?.success) {
      await definition.onFinalFailure(payload.data, new Error(error));
    }
  };

  const reconcile = async (task: Task) => {
    signal?.throwIfAborted();
    // Only tasks of jobs this runner runs: another consumer's tasks follow its own rules.
    if (!isJobName(task.type) || !deps.definitions.has(task.type)) return;
    const queue = await producer.queue(task.type);
    const job = await bounded(queue.getJob(task.id), redisTimeoutMs, 'redis (reading a job)');
    const state = job ? await bounded(job.getState(), redisTimeoutMs, 'redis (reading a job)') : 'missing';
    if (IN_PROGRESS.has(state)) return;

    if (job && state === 'completed') {
      await taskState.succeeded(task.id, job.returnvalue ?? null);
      report.reconciled++;
    } else if (job && state === 'failed') {
      const reason = job.failedReason || 'failed';
      if (reason.startsWith(CANCELLED)) await taskState.cancelled(task.id);
      else await declareFailed(task, reason);
      report.reconciled++;
    } else if (task.status === 'queued') {
      const payload = jobs[task.type].payload.safeParse({ ...asObject(task.input), taskId: task.id });
      if (!payload.success) {
        await declareFailed(task, `cannot be enqueued again: invalid input (${payload.error.message})`);
        report.failed++;
        return;
      }
      // With its place in its owner's line, as the api enqueues it: a re-enqueued job takes its
      // owner's turn instead of jumping every owner's line (fairness, @repo/queue).
      const ownerPlace = await countOpenTasks(db, task.ownerId, task.type);
      await producer.enqueue(task.type, payload.data, { jobId: task.id, ownerPlace });
      report.requeued++;
      logger.warn({ taskId: task.id, type: task.type }, 're-enqueued a queued task whose job was missing');
    } else if (task.updatedAt < ago(policy.stuckAfterMs)) {
      await declareFailed(task, 'lost: stuck in running and its job is no longer in the queue');
      report.failed++;
      logger.warn({ taskId: task.id, type: task.type }, 'failed a task stuck in running without a job');
    }
  };

  for (const task of await candidates('running', settleMs)) await reconcile(task);
  for (const task of await candidates('queued', Math.max(settleMs, policy.requeueAfterMs))) {
    await reconcile(task);
  }

  if (deps.storage) {
    try {
      await sweepObjects(deps.storage, db, ago(policy.orphanGraceMs ?? 3_600_000), report, signal);
    } catch (error) {
      if (!isStorageUnavailable(error)) throw error;
      logger.warn({ err: error }, 'object storage unavailable; orphaned files are swept next run');
    }
  }

  logger.info(report, 'maintenance done');
  return report;
}

/** Step 4, a page of up to 1,000 keys at a time: one query asks which of them are referenced. */
async function sweepObjects(
  storage: ObjectStorage,
  db: Database,
  before: Date,
  report: MaintenanceReport,
  signal?: AbortSignal,
): Promise<void> {
  for await (const page of storage.list(signal)) {
    const old = page.filter((object) => object.lastModified < before).map((object) => object.key);
    if (old.length === 0) continue;
    const referenced = await db
      .select({ key: documents.objectKey })
      .from(documents)
      .where(inArray(documents.objectKey, old));
    const known = new Set(referenced.map((row) => row.key));
    const orphans = old.filter((key) => !known.has(key));
    if (orphans.length === 0) continue;
    await storage.removeMany(orphans);
    report.orphanedObjects += orphans.length;
  }
  report.abandonedUploads += await storage.abortStaleUploads(before);
}

function isJobName(type: string): type is JobName {
  return (jobNames as string[]).includes(type);
}

async function removeJob(producer: Producer, queue: JobName, jobId: string): Promise<void> {
  // 0 means "not removed": gone already (bounded retention) or locked by a running worker.
  await (await producer.queue(queue)).remove(jobId);
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
