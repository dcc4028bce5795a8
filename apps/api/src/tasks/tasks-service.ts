import {
  conversations,
  countOpenTasks,
  documents,
  runs,
  tasks,
  type Database,
  type TaskStatus,
} from '@repo/db';
import { conflict, HttpProblem, notFound, serviceUnavailable } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Producer } from '@repo/queue';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { after, cursorTime, toPage, type Position } from '../http/pagination.ts';
import type { CancelRequest, RunsService } from '../runs/runs-service.ts';
import { overridesOf, quotaExceeded } from '../quotas/quotas.ts';
import type { StopJob, StopOutcome } from './job-control.ts';

export interface TasksServiceDependencies {
  db: Database;
  producer: Producer;
  stopJob: StopJob;
  /** An agent-run task's run is cancelled with it. */
  runs: Pick<RunsService, 'requestCancel' | 'settle'>;
  logger: Logger;
  limits: AgentRunLimits;
}

/** What keeps agent runs from multiplying: each one may queue another, each costs model calls. */
export interface AgentRunLimits {
  /** A run queued by a run queued by … a user's run: at most this many levels below it. */
  maxDepth: number;
  /** Agent runs an owner may have queued or running at once, unless its `owner_quotas` row says otherwise. */
  maxOpenPerOwner: number;
}

/**
 * The first key of the two-key advisory lock that serializes one owner's agent-run creations (the
 * second is the owner's hash). The two-key form is a key space of its own in Postgres: it never
 * meets the single-key locks of the migrator and the task-runner's leadership.
 */
const AGENT_RUN_LOCK_SPACE = 7_201_900;

/** What an agent run is asked to do; stored as the task's input (the job carries ids only). */
export interface AgentRunInput {
  conversationId: string;
  content: string;
}

export const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled'] as const satisfies TaskStatus[];

const view = {
  id: tasks.id,
  type: tasks.type,
  status: tasks.status,
  input: tasks.input,
  result: tasks.result,
  error: tasks.error,
  attempts: tasks.attempts,
  createdAt: tasks.createdAt,
  updatedAt: tasks.updatedAt,
  startedAt: tasks.startedAt,
  finishedAt: tasks.finishedAt,
};

export interface TaskView {
  id: string;
  type: string;
  status: TaskStatus;
  input: unknown;
  result: unknown;
  error: string | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ListOptions {
  limit: number;
  cursor?: Position | undefined;
  status?: TaskStatus | undefined;
  type?: string | undefined;
}

export function createTasksService({
  db,
  producer,
  stopJob,
  runs: runControl,
  logger,
  limits,
}: TasksServiceDependencies) {
  return {
    /**
     * Queues a conversation turn for the task-runner, which asks the agent for it with the task id
     * as idempotency key. Same order as a document: the row is committed first (in a transaction
     * that holds the conversation against a concurrent delete), then the job is enqueued with the
     * task's id; if Redis is down the row is deleted again and the caller gets 503.
     *
     * With an idempotency key, (owner_id, idempotency_key) is unique: a repeat with the same input
     * answers the first task (`replayed`), one with another input is a 409.
     *
     * Limits: `depth` (0 for a user's run, n + 1 for a run queued by a run at depth n) above
     * `maxDepth` is a 403; an owner with `maxOpenPerOwner` runs queued or running gets a 429. One
     * owner's creations are serialized by a transaction-level advisory lock, so the count and the
     * insert are one step even for concurrent requests.
     */
    async createAgentRun(
      ownerId: string,
      input: AgentRunInput,
      idempotencyKey?: string,
      depth = 0,
    ): Promise<{ task: TaskView; replayed: boolean }> {
      if (depth > limits.maxDepth) {
        throw new HttpProblem(
          403,
          `Agent runs may queue other agent runs at most ${limits.maxDepth} levels deep (AGENT_RUN_MAX_DEPTH); this one would be ${depth} levels deep.`,
          {
            type: 'urn:keelson:problem:agent-run-too-deep',
            extensions: { depth, maxDepth: limits.maxDepth },
          },
        );
      }
      const stored = await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${AGENT_RUN_LOCK_SPACE}, hashtext(${ownerId}))`);
        const [conversation] = await tx
          .select({ id: conversations.id })
          .from(conversations)
          .where(and(eq(conversations.id, input.conversationId), eq(conversations.ownerId, ownerId)))
          .for('key share');
        if (!conversation) throw notFound('conversation');

        if (idempotencyKey !== undefined) {
          const [earlier] = await tx
            .select(view)
            .from(tasks)
            .where(and(eq(tasks.ownerId, ownerId), eq(tasks.idempotencyKey, idempotencyKey)));
          if (earlier) {
            const earlierInput = earlier.input as Partial<AgentRunInput>;
            if (
              earlier.type !== 'agent-run' ||
              earlierInput.conversationId !== input.conversationId ||
              earlierInput.content !== input.content
            ) {
              throw conflict(
                'This Idempotency-Key was already used for another task. Use a new key for a new task.',
                'urn:keelson:problem:idempotency-key-reused',
              );
            }
            return { task: earlier, replayed: true as const };
          }
        }

        const open = await countOpenTasks(tx, ownerId, 'agent-run');
        const maxOpen = (await overridesOf(tx, ownerId))?.maxOpenAgentRuns ?? limits.maxOpenPerOwner;
        if (open >= maxOpen) {
          throw quotaExceeded(
            'open-agent-runs',
            maxOpen,
            open,
            `At most ${maxOpen} agent runs queued or running for this owner (AGENT_RUN_MAX_OPEN_PER_OWNER, or the owner's quota); wait for one to finish, or cancel one.`,
          );
        }
        const [created] = await tx
          .insert(tasks)
          .values({
            ownerId,
            type: 'agent-run',
            // The depth is kept only for runs that agent runs queued (a user's run is depth 0).
            input: {
              conversationId: input.conversationId,
              content: input.content,
              ...(depth > 0 ? { depth } : {}),
            },
            idempotencyKey: idempotencyKey ?? null,
          })
          .returning(view);
        // Its place in the owner's line (the open runs counted above, then this one): the job's
        // queue priority, so one owner's queued runs do not hold back another owner's next one.
        return { task: created!, replayed: false as const, ownerPlace: open + 1 };
      });
      if (stored.replayed) return stored;

      const taskId = stored.task.id;
      try {
        await producer.enqueue(
          'agent-run',
          { taskId, conversationId: input.conversationId },
          { jobId: taskId, ownerPlace: stored.ownerPlace },
        );
      } catch (error) {
        logger.warn({ err: error, taskId }, 'enqueue failed; removing the task');
        await db.delete(tasks).where(eq(tasks.id, taskId));
        throw serviceUnavailable('The job queue is unavailable; nothing was stored. Retry later.');
      }
      return stored;
    },

    /** Another owner's task is reported exactly like a missing one. */
    async get(ownerId: string, id: string): Promise<TaskView | undefined> {
      const [row] = await db
        .select(view)
        .from(tasks)
        .where(and(eq(tasks.id, id), eq(tasks.ownerId, ownerId)));
      return row;
    },

    /** Newest first, optionally of one status and/or type; keyset-paginated like documents. */
    async list(ownerId: string, options: ListOptions) {
      const rows = await db
        .select({ ...view, cursorTime: cursorTime(tasks.createdAt) })
        .from(tasks)
        .where(
          and(
            eq(tasks.ownerId, ownerId),
            options.status ? eq(tasks.status, options.status) : undefined,
            options.type ? eq(tasks.type, options.type) : undefined,
            options.cursor ? after(tasks.createdAt, tasks.id, options.cursor) : undefined,
          ),
        )
        .orderBy(desc(tasks.createdAt), desc(tasks.id))
        .limit(options.limit + 1);
      return toPage(rows, options.limit);
    },

    /**
     * Cancels a task that has not finished. The row is marked cancelled first, under a row lock
     * (the task-runner only moves tasks that are still queued or running, so it can never undo
     * this); then the job is stopped: removed from the queue while it waits, or signalled to its
     * runner when it is already running. An agent-run task's run is cancelled too (the agent stops
     * it and stores what it produced): stopping the job alone would leave the run going, since
     * runs outlive the requests that start them. A finished task cannot be cancelled: 409.
     */
    async cancel(ownerId: string, id: string) {
      let taskRuns: CancelRequest[] = [];
      const outcome = await db.transaction(async (tx) => {
        const [task] = await tx
          .select({ status: tasks.status, type: tasks.type, input: tasks.input })
          .from(tasks)
          .where(and(eq(tasks.id, id), eq(tasks.ownerId, ownerId)))
          .for('update');
        if (!task) throw notFound('task');
        if ((FINAL_STATUSES as readonly string[]).includes(task.status)) {
          throw new HttpProblem(
            409,
            `The task is already ${task.status}; only queued or running tasks can be cancelled`,
            {
              type: 'urn:keelson:problem:task-final',
              extensions: { taskStatus: task.status },
            },
          );
        }
        const now = new Date();
        const [cancelled] = await tx
          .update(tasks)
          .set({ status: 'cancelled', error: 'cancelled by request', finishedAt: now, updatedAt: now })
          .where(eq(tasks.id, id))
          .returning(view);
        const documentId = (task.input as { documentId?: unknown }).documentId;
        if (task.type === 'ingest-document' && typeof documentId === 'string') {
          // Its owner should see why the document will never be ready.
          await tx
            .update(documents)
            .set({ status: 'failed', error: 'ingestion cancelled', updatedAt: now })
            .where(and(eq(documents.id, documentId), inArray(documents.status, ['queued', 'processing'])));
        }
        if (task.type === 'agent-run') taskRuns = await runControl.requestCancel(tx, eq(runs.taskId, id));
        return { task: cancelled!, type: task.type };
      });
      await runControl.settle(taskRuns);
      const job: StopOutcome = await stopJob(outcome.type, id);
      return { task: outcome.task, job };
    },
  };
}

export type TasksService = ReturnType<typeof createTasksService>;
