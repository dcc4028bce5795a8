import { tasks, type Database } from '@repo/db';
import { and, eq, inArray, sql } from 'drizzle-orm';

/**
 * Mirrors a job's life in its `tasks` row: queued → running → succeeded | failed | cancelled,
 * with attempts, start/finish times and the last error. Every write is conditional on the row not
 * being final yet, so a late or repeated delivery of a job whose task already finished (or was
 * cancelled by the api) cannot move it backwards.
 */
export function createTaskState(db: Database) {
  const open = (taskId: string) => and(eq(tasks.id, taskId), inArray(tasks.status, ['queued', 'running']));
  const finish = async (taskId: string, values: Partial<typeof tasks.$inferInsert>) => {
    await db
      .update(tasks)
      .set({ ...values, finishedAt: new Date(), updatedAt: new Date() })
      .where(open(taskId));
  };

  return {
    /**
     * Marks an attempt as started. A re-run after its worker died keeps the attempt number and the
     * first start time. Returns false when the task is already final (or gone): do not run it.
     */
    async running(taskId: string, attempt: number): Promise<boolean> {
      const updated = await db
        .update(tasks)
        .set({
          status: 'running',
          attempts: attempt,
          startedAt: sql`coalesce(${tasks.startedAt}, now())`,
          updatedAt: new Date(),
        })
        .where(open(taskId))
        .returning({ id: tasks.id });
      return updated.length > 0;
    },
    async succeeded(taskId: string, result: unknown): Promise<void> {
      await finish(taskId, { status: 'succeeded', result, error: null });
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
