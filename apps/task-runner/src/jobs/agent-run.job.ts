import { tasks, type Database } from '@repo/db';
import { UnrecoverableError } from 'bullmq';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AgentClient } from '../agent/agent-client.ts';
import { contractJob } from './job-definition.ts';

/**
 * What `POST /v1/tasks {type: "agent-run"}` stores as the task's input. `depth` is there when an
 * agent run queued this one (absent: a user's run, depth 0).
 */
const agentRunInput = z.object({
  conversationId: z.uuid(),
  content: z.string().min(1),
  depth: z.number().int().min(0).optional(),
});

export function agentRunJob(options: {
  db: Database;
  agent: AgentClient;
  concurrency: number;
  timeoutMs: number;
}) {
  const { db, agent } = options;
  return contractJob('agent-run', {
    // Every replica: the agent stores a turn once per idempotency key (the task id), whichever
    // replica (or how many deliveries) sent it; AGENT_RUN_CONCURRENCY is per replica.
    runsOn: 'every-replica',
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    async process({ taskId, conversationId }, { signal }) {
      const [task] = await db
        .select({ ownerId: tasks.ownerId, input: tasks.input })
        .from(tasks)
        .where(eq(tasks.id, taskId));
      if (!task) throw new UnrecoverableError('the task no longer exists');
      const input = agentRunInput.safeParse(task.input);
      if (!input.success || input.data.conversationId !== conversationId) {
        throw new UnrecoverableError(
          `invalid agent-run input: ${input.error?.message ?? 'conversation mismatch'}`,
        );
      }
      const turn = await agent.runTurn({
        ownerId: task.ownerId,
        conversationId,
        content: input.data.content,
        // The task id: a retried or re-delivered job stores the user's message once and, if the
        // turn completed before, gets the stored reply back instead of a second answer.
        idempotencyKey: `task-${taskId}`,
        // The agent hands it on to the api with each tool call: a run this one queues is one
        // level deeper, and the api refuses it past AGENT_RUN_MAX_DEPTH.
        runDepth: input.data.depth ?? 0,
        signal,
      });
      // The task's result: where the answer is, and what it cost.
      return {
        conversationId,
        userMessageId: turn.userMessageId,
        replyMessageId: turn.reply.id,
        reply: turn.reply.content,
        usage: turn.usage,
        finishReason: turn.finishReason,
      };
    },
  });
}

export function summarizeConversationJob(options: { agent: AgentClient; timeoutMs: number }) {
  return contractJob('summarize-conversation', {
    // Every replica may take one, but one at a time across all of them (a global concurrency the
    // leader sets in Redis): summaries are background housekeeping, and one at a time keeps
    // their model spend predictable however many replicas run.
    runsOn: 'every-replica',
    concurrency: 1,
    globalConcurrency: 1,
    timeoutMs: options.timeoutMs,
    async process({ ownerId, conversationId }, { signal }) {
      return options.agent.summarize({ ownerId, conversationId, signal });
    },
  });
}
