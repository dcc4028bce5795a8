import { tasks, type Database } from '@repo/db';
import { and, eq, inArray, sql } from 'drizzle-orm';

/**
 * Mirrors a job's life in its `tasks` row: queued → running → succeeded | failed. Every write is
 * conditional on the row not being final yet, so a late or repeated delivery of a job whose task
 * already finished (or was cancelled) cannot move it backwards.
 */
export function createTaskState(db: Database) {
  const open = (taskId: string) => and(eq(tasks.id, taskId), inArray(tasks.status, ['queued', 'running']));

  return {
    /** Returns false when the task is already final (e.g. cancelled): the job should not run. */
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
      await db
        .update(tasks)
        .set({ status: 'succeeded', result, error: null, finishedAt: new Date(), updatedAt: new Date() })
        .where(open(taskId));
    },
    /** `final` is false while retries remain: the task stays `queued` for the next attempt. */
    async failed(taskId: string, error: string, final: boolean): Promise<void> {
      await db
        .update(tasks)
        .set(
          final
            ? { status: 'failed', error, finishedAt: new Date(), updatedAt: new Date() }
            : { status: 'queued', error, updatedAt: new Date() },
        )
        .where(open(taskId));
    },
  };
}

export type TaskState = ReturnType<typeof createTaskState>;
