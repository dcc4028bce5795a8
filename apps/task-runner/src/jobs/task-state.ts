import { tasks, type Database, type Transaction } from '@repo/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Connection } from '../support/connection-statements.ts';

/** Where a job's transaction runs: a drizzle transaction, or the connection it holds. */
export type TaskExecutor = Transaction | Connection;

/**
 * Mirrors a job's life in its `tasks` row: queued → running → succeeded | failed | cancelled,
 * with attempts, start/finish times and the last error. Every write is conditional on the row not
 * being final yet, so a late or repeated delivery of a job whose task already finished (or was
 * cancelled by the api) cannot move it backwards.
 *
 * The two writes of every run (running, succeeded) are named prepared statements: Postgres parses
 * and plans them once per connection instead of once per job.
 */
export function createTaskState(db: Database) {
  const open = (taskId: string) => and(eq(tasks.id, taskId), inArray(tasks.status, ['queued', 'running']));
  const openPlaceholder = and(
    eq(tasks.id, sql.placeholder('taskId')),
    inArray(tasks.status, ['queued', 'running']),
  );
  const finish = async (taskId: string, values: Partial<typeof tasks.$inferInsert>) => {
    await db
      .update(tasks)
      .set({ ...values, finishedAt: new Date(), updatedAt: new Date() })
      .where(open(taskId));
  };

  const markRunning = db
    .update(tasks)
    .set({
      status: 'running',
      attempts: sql`${sql.placeholder('attempt')}`,
      startedAt: sql`coalesce(${tasks.startedAt}, now())`,
      updatedAt: sql`${sql.placeholder('now')}`,
    })
    .where(openPlaceholder)
    .returning({ id: tasks.id })
    .prepare('task_running');
  // Prepared on the pool once, and on a transaction's connection when the job settles its task
  // inside its transaction: once per connection (cached) when given the connection, per call when
  // given a drizzle transaction (same name and text: Postgres parses it once per connection).
  const markSucceeded = (executor: Database | TaskExecutor) =>
    executor
      .update(tasks)
      .set({
        status: 'succeeded',
        // Serialized here, as drizzle's jsonb column would: a placeholder reaches pg as is.
        result: sql`${sql.placeholder('result')}::jsonb`,
        error: null,
        finishedAt: sql`${sql.placeholder('now')}`,
        updatedAt: sql`${sql.placeholder('now')}`,
      })
      .where(openPlaceholder)
      .prepare('task_succeeded');
  const markSucceededOnPool = markSucceeded(db);
  const markSucceededOn = new WeakMap<TaskExecutor, ReturnType<typeof markSucceeded>>();
  const succeededStatement = (executor: TaskExecutor) => {
    let statement = markSucceededOn.get(executor);
    if (!statement) markSucceededOn.set(executor, (statement = markSucceeded(executor)));
    return statement;
  };

  return {
    /**
     * Marks an attempt as started. A re-run after its worker died keeps the attempt number and the
     * first start time. Returns false when the task is already final (or gone): do not run it.
     */
    async running(taskId: string, attempt: number): Promise<boolean> {
      const updated = await markRunning.execute({ taskId, attempt, now: new Date() });
      return updated.length > 0;
    },
    /**
     * With `transaction`, inside it: the job's effects and its task's outcome then commit
     * together, in one commit instead of two.
     */
    async succeeded(taskId: string, result: unknown, transaction?: TaskExecutor): Promise<void> {
      const statement = transaction ? succeededStatement(transaction) : markSucceededOnPool;
      // null stays SQL NULL, as drizzle writes a null jsonb value.
      const json = result === null || result === undefined ? null : JSON.stringify(result);
      await statement.execute({ taskId, result: json, now: new Date() });
    },
    /** `final` is false while retries remain: the task goes back to `queued` for the next attempt. */
    async failed(taskId: string, error: string, final: boolean): Promise<void> {
      if (final) return finish(taskId, { status: 'failed', error });
      await db.update(tasks).set({ status: 'queued', error, updatedAt: new Date() }).where(open(taskId));
    },
    /** The api normally marks the row first; this covers a cancellation that arrived on its own. */
    async cancelled(taskId: string): Promise<void> {
      await finish(taskId, { status: 'cancelled' });
    },
    /** The run was handed back unfinished (shutdown, lost leadership): it waits for its next run. */
    async requeued(taskId: string): Promise<void> {
      await db.update(tasks).set({ status: 'queued', updatedAt: new Date() }).where(open(taskId));
    },
  };
}

export type TaskState = ReturnType<typeof createTaskState>;
