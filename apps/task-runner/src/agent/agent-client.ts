import { RUN_DEPTH_HEADER } from '@repo/http';
import { UnrecoverableError } from 'bullmq';

export interface AgentClientOptions {
  url: string;
  serviceToken: string;
}

export interface TurnReply {
  /** The run that answered (null for a reply stored before runs existed). */
  runId: string | null;
  userMessageId: string;
  reply: { id: string; content: string };
  usage: { inputTokens: number; outputTokens: number };
  finishReason: string;
  steps: number;
  replayed: boolean;
}

/** The agent's answer while another run of the same conversation is active. */
const RUN_ACTIVE = 'urn:keelson:problem:run-active';

/**
 * The task-runner's calls to the agent service. Outcomes map onto BullMQ's retry rules: a 4xx
 * (the conversation is gone, the request is wrong) will not change on retry and fails the job
 * at once; 5xx, 408, 429 and network errors are retried with the job's backoff, and so is a 409
 * `run-active`: another run of the conversation is still going (typically the very run whose
 * `create_task` queued this one), and it will end.
 */
export function createAgentClient({ url, serviceToken }: AgentClientOptions) {
  const call = async <T>(
    path: string,
    ownerId: string,
    init: {
      body?: unknown;
      idempotencyKey?: string;
      taskId?: string;
      runDepth?: number;
      /** 202 is this call's success (the agent accepted work it does in the background). */
      accepted?: boolean;
      signal: AbortSignal;
    },
  ) => {
    const response = await fetch(new URL(path, url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken}`,
        'x-keelson-owner': ownerId,
        'content-type': 'application/json',
        ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
        // The agent records the run as this task's (cancelling the task cancels the run).
        ...(init.taskId ? { 'x-keelson-task-id': init.taskId } : {}),
        ...(init.runDepth === undefined ? {} : { [RUN_DEPTH_HEADER]: String(init.runDepth) }),
      },
      body: JSON.stringify(init.body ?? {}),
      signal: init.signal,
    });
    // 202 to a turn: the run paused for a tool approval. Retried with the job's backoff: the
    // retry (same idempotency key) follows the same run and answers once it ended.
    if (response.status === 202 && !init.accepted) throw new Error('the run waits for a tool approval');
    if (response.ok) return (await response.json()) as T;
    const problem = (await response.json().catch(() => ({}))) as {
      type?: unknown;
      detail?: string;
      requestId?: unknown;
    };
    // The agent's words (never a provider's: the agent keeps those in its log), and its request
    // id, which finds that log line.
    const reference = typeof problem.requestId === 'string' ? ` (agent request ${problem.requestId})` : '';
    const message = `agent answered ${response.status}: ${problem.detail ?? response.statusText}${reference}`;
    const busy = response.status === 409 && problem.type === RUN_ACTIVE;
    const permanent =
      response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status) && !busy;
    throw permanent ? new UnrecoverableError(message) : new Error(message);
  };

  return {
    /**
     * One turn (a run of the agent), answered when the run ends; the idempotency key makes a
     * retried job reuse the stored message, follow the run still going, or get the stored reply.
     */
    runTurn(input: {
      ownerId: string;
      conversationId: string;
      content: string;
      idempotencyKey: string;
      taskId: string;
      /** How deep in a chain of agent runs this one is (0: a user queued it). */
      runDepth: number;
      signal: AbortSignal;
    }) {
      return call<TurnReply>(`/v1/conversations/${input.conversationId}/turns`, input.ownerId, {
        body: { content: input.content },
        idempotencyKey: input.idempotencyKey,
        taskId: input.taskId,
        runDepth: input.runDepth,
        signal: input.signal,
      });
    },
    /** Asks the agent to continue a run whose approvals are all decided; true if it did. */
    async continueRun(input: { ownerId: string; runId: string }): Promise<boolean> {
      // The agent answers 202: the run continues in the background.
      const answer = await call<{ continued: boolean }>(`/v1/runs/${input.runId}/continue`, input.ownerId, {
        accepted: true,
        signal: AbortSignal.timeout(10_000),
      });
      return answer.continued;
    },
    summarize(input: { ownerId: string; conversationId: string; signal: AbortSignal }) {
      return call<{ status: string }>(`/v1/conversations/${input.conversationId}/summarize`, input.ownerId, {
        signal: input.signal,
      });
    },
  };
}

export type AgentClient = ReturnType<typeof createAgentClient>;

/** What the jobs use when AGENT_URL is not configured: every call fails, once, saying so. */
export const missingAgent: AgentClient = {
  runTurn: () =>
    Promise.reject(new UnrecoverableError('no agent configured: set AGENT_URL and SERVICE_AUTH_TOKEN')),
  summarize: () =>
    Promise.reject(new UnrecoverableError('no agent configured: set AGENT_URL and SERVICE_AUTH_TOKEN')),
  continueRun: () =>
    Promise.reject(new UnrecoverableError('no agent configured: set AGENT_URL and SERVICE_AUTH_TOKEN')),
};
