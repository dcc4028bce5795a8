import type { Message } from '@repo/db';
import { connectionFailure, HttpProblem, problem, type ProblemDetails } from '@repo/http';
import type { RunErrorCode, RunEvent } from '@repo/runs';
import { fromResponseMessages, type OutputMessage } from '../conversations/model-messages.ts';
import { estimateTokens } from '../memory/tokens.ts';
import { nextMonth, QUOTA_EXCEEDED } from './run-quota.ts';
import { classify, type FailureKind } from '../turns/turn-errors.ts';
import type { TurnProgress } from '../turns/run-turn.ts';

/** Why a run's signal was aborted by its executor (as opposed to a model timeout). */
export const STOP = {
  /** POST /v1/runs/:id/cancel, from any replica. */
  cancelled: new DOMException('The run was cancelled', 'AbortError'),
  /** This agent is shutting down and the run did not finish within the budget. */
  shutdown: new DOMException('The agent is shutting down', 'AbortError'),
  /** The run is not this agent's any more (reaped, deleted): stop without writing anything. */
  lost: new DOMException('The run is no longer held by this agent', 'AbortError'),
} as const;

/** A message as the turn's answer shows it (the stored row minus what only the agent needs). */
export const messageView = (
  message: Pick<Message, 'id' | 'role' | 'content' | 'toolCalls' | 'toolResults' | 'createdAt'>,
) => ({
  id: message.id,
  role: message.role,
  content: message.content,
  toolCalls: message.toolCalls,
  toolResults: message.toolResults,
  createdAt: message.createdAt.toISOString(),
});

export type MessageView = ReturnType<typeof messageView>;

/** The turn's answer: the `done` event's data and the JSON mode's body. */
export interface TurnView {
  runId: string | null;
  userMessageId: string;
  reply: MessageView;
  messages: MessageView[];
  usage: { inputTokens: number; outputTokens: number };
  finishReason: string;
  steps: number;
  replayed: boolean;
}

/** How a failure is told: its stable code, its problem, and what the metrics count. */
export interface Failure {
  code: RunErrorCode;
  kind: FailureKind | 'unavailable' | 'quota';
  problem: ProblemDetails;
  /** Logged at error (unexpected) rather than warn (an outage, a provider, a timeout). */
  unexpected: boolean;
  /** The run stopped between steps: what it produced is stored (otherwise no reply is). */
  keepsOutput?: boolean;
}

const CODE_OF: Record<FailureKind, RunErrorCode> = {
  provider: 'model-failed',
  timeout: 'model-timeout',
  aborted: 'internal',
  internal: 'internal',
};

/** `agent_errors_total{kind}` of a failure (an outage counts as internal, as it always has). */
export const errorMetricKind = (failure: Failure): 'provider' | 'timeout' | 'internal' =>
  failure.kind === 'provider' || failure.kind === 'timeout' ? failure.kind : 'internal';

/**
 * Sorts what a run threw into what its `error` event and its row say. `requestId` (the request
 * that started the run) goes into the problem, so a client can quote it; a provider's own error
 * text never does (classify's fixed words; the cause goes to the log only).
 */
export function failureOf(error: unknown, runId: string, requestId?: string): Failure {
  const { kind, problem: known } = classify(error, requestId);
  if (known) return { code: CODE_OF[kind], kind, problem: { ...known.toJSON(), runId }, unexpected: false };
  if (connectionFailure(error)) {
    return {
      code: 'unavailable',
      kind: 'unavailable',
      problem: problem(503, 'A service this turn depends on is unavailable. Retry later.', { runId }),
      unexpected: false,
    };
  }
  return {
    code: 'internal',
    kind: 'internal',
    problem: problem(500, 'The turn failed. Quote the request id when reporting it.', {
      runId,
      ...(requestId === undefined ? {} : { requestId }),
    }),
    unexpected: true,
  };
}

/** The failure of a run stopped because its agent shut down (the reaper's `agent-lost` is alike). */
export const shutdownFailure = (runId: string): Failure => ({
  code: 'agent-shutdown',
  kind: 'internal',
  problem: problem(503, 'The agent running this turn shut down before it finished. Send the message again.', {
    type: 'urn:keelson:problem:agent-shutdown',
    runId,
  }),
  unexpected: false,
});

/**
 * The failure of a run stopped because its owner's monthly token budget ran out: the 429 of the
 * quota (as a refused start would answer), with what the run produced kept.
 */
export const budgetFailure = (runId: string, budget: { limit: number; used: number }): Failure => ({
  code: 'budget-exhausted',
  kind: 'quota',
  problem: problem(
    429,
    `The owner's monthly token budget (${budget.limit}) ran out during this run (${budget.used} used); it stopped after its last model call, and what it produced is stored.`,
    {
      type: QUOTA_EXCEEDED,
      quota: 'monthly-tokens',
      limit: budget.limit,
      used: budget.used,
      resetsAt: nextMonth().toISOString(),
      runId,
    },
  ),
  unexpected: false,
  keepsOutput: true,
});

/** A problem carried by an `error` event, rebuilt to answer a JSON caller with the same status. */
export function problemOfEvent(data: ProblemDetails): HttpProblem {
  const { type, title: _title, status, detail, instance: _instance, ...extensions } = data;
  return new HttpProblem(status, detail ?? 'The turn failed.', { type, extensions });
}

/**
 * What a run that stopped early keeps: the steps that finished (assistant messages with their
 * tool calls and the tools' results, consistent with each other) and the text of the step under
 * way. A tool call whose result never came is not kept: the next turn's history must pair every
 * call with its result.
 */
export function partialOutput(progress: TurnProgress): OutputMessage[] {
  const rows = fromResponseMessages(progress.stepMessages);
  if (progress.partialText) {
    rows.push({
      role: 'assistant',
      content: progress.partialText,
      toolCalls: null,
      toolResults: null,
      tokenCount: estimateTokens(progress.partialText),
    });
  }
  return rows;
}

/** Builds a final event with the next number. */
export const finalEvent = (seq: number, type: 'done' | 'error' | 'cancelled', data: unknown): RunEvent => ({
  seq,
  type,
  data,
});
