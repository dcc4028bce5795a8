import { and, eq, inArray } from 'drizzle-orm';
import type { Database, Transaction } from './client.ts';
import { tasks, type TaskStatus } from './schema/tasks.ts';

/** A task that is waiting for its job or whose job is running: it holds a place in the queue. */
export const OPEN_TASK_STATUSES = ['queued', 'running'] as const satisfies TaskStatus[];

/**
 * How many tasks of this kind the owner has open (queued or running), the one just inserted
 * included when it is committed or counted in its own transaction. Its place in the owner's line:
 * the producer turns it into the job's queue priority, so owners take turns (@repo/queue,
 * fairPriority). One partial-index lookup (tasks_owner_type_open_idx).
 */
export async function countOpenTasks(
  executor: Database | Transaction,
  ownerId: string,
  type: string,
): Promise<number> {
  return executor.$count(
    tasks,
    and(eq(tasks.ownerId, ownerId), eq(tasks.type, type), inArray(tasks.status, OPEN_TASK_STATUSES)),
  );
}
