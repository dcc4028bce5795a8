import { conversations, messages, runs, tasks, type Database } from '@repo/db';
import { waitFor } from '@repo/testing';
import { and, count, countDistinct, eq, inArray } from 'drizzle-orm';
import type { ApiStack } from './api-stack.ts';
import { eachParallel } from './runner-target.ts';

export interface SubmittedRun {
  taskId: string;
  conversationId: string;
  ownerId: string;
}

/**
 * One round's runs, queued as a client queues them: a fresh conversation each (two runs of one
 * conversation would wait for each other: the agent's 409 run-active), spread over the owners in
 * turn, each sent to the api's `POST /v1/tasks` with its owner's token, 8 at a time. The api stores
 * the task and enqueues its job with the owner's place (its open agent runs + 1) as the priority.
 */
export async function submitAgentRuns(
  stack: ApiStack,
  db: Database,
  load: { runs: number; owners: number },
  label: string,
): Promise<SubmittedRun[]> {
  const owners = Array.from({ length: load.owners }, (_, i) => `bench-runs-owner-${i + 1}`);
  const auth = new Map(await Promise.all(owners.map(async (o) => [o, await stack.authFor(o)] as const)));
  const created = await db
    .insert(conversations)
    .values(
      Array.from({ length: load.runs }, (_, i) => ({ ownerId: owners[i % owners.length]!, title: label })),
    )
    .returning({ id: conversations.id, ownerId: conversations.ownerId });
  const submitted: SubmittedRun[] = [];
  await eachParallel(created, 8, async ({ id, ownerId }) => {
    const response = await fetch(`${stack.api.origin}/v1/tasks`, {
      method: 'POST',
      headers: { ...auth.get(ownerId)!, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'agent-run',
        input: { conversationId: id, content: `Hello from ${label}.` },
      }),
    });
    if (response.status !== 202) {
      throw new Error(`POST /v1/tasks answered ${response.status}: ${await response.text()}`);
    }
    const task = (await response.json()) as { id: string };
    submitted.push({ taskId: task.id, conversationId: id, ownerId });
  });
  return submitted;
}

/** Waits until every task of the round is final; a failed or cancelled one fails the run at once. */
export async function waitUntilFinal(db: Database, submitted: readonly SubmittedRun[]): Promise<void> {
  const ids = submitted.map((run) => run.taskId);
  await waitFor(
    async () => {
      const states = await db
        .select({ status: tasks.status, n: count() })
        .from(tasks)
        .where(inArray(tasks.id, ids))
        .groupBy(tasks.status);
      const of = (status: string) => states.find((s) => s.status === status)?.n ?? 0;
      if (of('failed') + of('cancelled') > 0) {
        throw new Error(`${of('failed')} failed and ${of('cancelled')} cancelled agent-run tasks`);
      }
      return of('succeeded') === ids.length;
    },
    { timeoutMs: 300_000, intervalMs: 100, what: `${ids.length} agent-run tasks succeeded` },
  );
}

/**
 * Every run of the round happened exactly once: each task succeeded on its first attempt, is the
 * task of exactly one run, its conversation holds exactly one reply, and the model was asked once
 * per run (`modelRequests`: what it counted during the round).
 */
export async function checkExactlyOnce(
  db: Database,
  submitted: readonly SubmittedRun[],
  modelRequests: number,
): Promise<void> {
  const taskIds = submitted.map((run) => run.taskId);
  const conversationIds = submitted.map((run) => run.conversationId);
  const problems: string[] = [];
  const firstAttempt = await db.$count(
    tasks,
    and(inArray(tasks.id, taskIds), eq(tasks.status, 'succeeded'), eq(tasks.attempts, 1)),
  );
  if (firstAttempt !== taskIds.length) {
    problems.push(`${taskIds.length - firstAttempt} tasks took more than one attempt`);
  }
  const [ran] = await db
    .select({ runs: count(), tasks: countDistinct(runs.taskId) })
    .from(runs)
    .where(inArray(runs.taskId, taskIds));
  if (ran!.runs !== taskIds.length || ran!.tasks !== taskIds.length) {
    problems.push(`${ran!.runs} runs for ${ran!.tasks} of ${taskIds.length} tasks`);
  }
  const [replies] = await db
    .select({ replies: count(), conversations: countDistinct(messages.conversationId) })
    .from(messages)
    .where(and(inArray(messages.conversationId, conversationIds), eq(messages.role, 'assistant')));
  if (replies!.replies !== taskIds.length || replies!.conversations !== taskIds.length) {
    problems.push(
      `${replies!.replies} replies in ${replies!.conversations} of ${taskIds.length} conversations`,
    );
  }
  if (modelRequests !== taskIds.length) {
    problems.push(`the model was asked ${modelRequests} times for ${taskIds.length} runs`);
  }
  if (problems.length > 0)
    throw new Error(`the round's runs were not each done once: ${problems.join('; ')}`);
}
