import { RUN_DEPTH_HEADER } from '@repo/http';
import { UnrecoverableError } from 'bullmq';

export interface AgentClientOptions {
  url: string;
  serviceToken: string;
}

export interface TurnReply {
  userMessageId: string;
  reply: { id: string; content: string };
  usage: { inputTokens: number; outputTokens: number };
  finishReason: string;
  steps: number;
  replayed: boolean;
}

/**
 * The task-runner's calls to the agent service. Outcomes map onto BullMQ's retry rules: a 4xx
 * (the conversation is gone, the request is wrong) will not change on retry and fails the job
 * at once; 5xx, 408, 429 and network errors are retried with the job's backoff.
 */
export function createAgentClient({ url, serviceToken }: AgentClientOptions) {
  const call = async <T>(
    path: string,
    ownerId: string,
    init: { body?: unknown; idempotencyKey?: string; runDepth?: number; signal: AbortSignal },
  ) => {
    const response = await fetch(new URL(path, url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken}`,
        'x-keelson-owner': ownerId,
        'content-type': 'application/json',
        ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
        ...(init.runDepth === undefined ? {} : { [RUN_DEPTH_HEADER]: String(init.runDepth) }),
      },
      body: JSON.stringify(init.body ?? {}),
      signal: init.signal,
    });
    if (response.ok) return (await response.json()) as T;
    const problem = (await response.json().catch(() => ({}))) as { detail?: string; requestId?: unknown };
    // The agent's words (never a provider's: the agent keeps those in its log), and its request
    // id, which finds that log line.
    const reference = typeof problem.requestId === 'string' ? ` (agent request ${problem.requestId})` : '';
    const message = `agent answered ${response.status}: ${problem.detail ?? response.statusText}${reference}`;
    const permanent =
      response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status);
    throw permanent ? new UnrecoverableError(message) : new Error(message);
  };

  return {
    /** One turn; the idempotency key makes a retried job reuse the stored message and reply. */
    runTurn(input: {
      ownerId: string;
      conversationId: string;
      content: string;
      idempotencyKey: string;
      /** How deep in a chain of agent runs this one is (0: a user queued it). */
      runDepth: number;
      signal: AbortSignal;
    }) {
      return call<TurnReply>(`/v1/conversations/${input.conversationId}/turns`, input.ownerId, {
        body: { content: input.content },
        idempotencyKey: input.idempotencyKey,
        runDepth: input.runDepth,
        signal: input.signal,
      });
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
};
