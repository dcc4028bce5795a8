import type { Logger } from '@repo/observability';
import type { RunEvent } from '@repo/runs';
import { fromResponseMessages, type OutputMessage } from '../conversations/model-messages.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import type { TurnProgress, TurnResult } from '../turns/run-turn.ts';
import {
  errorMetricKind,
  partialOutput,
  type Failure,
  type MessageView,
  type TurnView,
} from './run-outcomes.ts';
import type { RunOutcome } from './run-store.ts';

/** How a run's execution ended. */
export type Ending =
  | { kind: 'succeeded'; result: TurnResult }
  | { kind: 'cancelled' }
  | { kind: 'failed'; failure: Failure; error?: unknown }
  /** The run is not this agent's any more: nothing to store. */
  | { kind: 'lost' };

export type StoredEnding = Exclude<Ending, { kind: 'lost' }>;

/** What an ending stores: output messages, the run's outcome, and its final event. */
export interface PlannedEnd {
  output: OutputMessage[];
  outcome: RunOutcome;
  /** The final event, from the output messages as stored. */
  finalEvent: (stored: MessageView[]) => Pick<RunEvent, 'type' | 'data'>;
}

const assistantReply = (stored: MessageView[]) =>
  stored.filter((message) => message.role === 'assistant').at(-1);

/**
 * The end of a run, by how it ended: a success stores its whole output and ends with `done` (the
 * turn's JSON answer); a cancel stores what was produced so far and ends with `cancelled`; a
 * failure stores no reply and ends with `error`. (A run paused for an approval would be another
 * ending here: stored with its pending tool calls, its lease released.)
 */
export function planEnd(
  ending: StoredEnding,
  run: { runId: string; userMessageId: string },
  progress: TurnProgress,
): PlannedEnd {
  const { runId } = run;
  switch (ending.kind) {
    case 'succeeded': {
      const { result } = ending;
      return {
        output: fromResponseMessages(result.responseMessages),
        outcome: {
          status: 'succeeded',
          usage: result.usage,
          steps: result.steps,
          finishReason: result.finishReason,
        },
        finalEvent: (stored) => {
          const reply = assistantReply(stored);
          if (!reply) throw new Error('the model produced no assistant message');
          const view: TurnView = {
            runId,
            userMessageId: run.userMessageId,
            reply,
            messages: stored,
            usage: result.usage,
            finishReason: result.finishReason,
            steps: result.steps,
            replayed: false,
          };
          return { type: 'done', data: view };
        },
      };
    }
    case 'cancelled':
      return {
        output: partialOutput(progress),
        outcome: {
          status: 'cancelled',
          errorCode: 'cancelled',
          error: 'The run was cancelled.',
          usage: progress.usage,
          steps: progress.steps,
          finishReason: 'cancelled',
        },
        finalEvent: (stored) => ({
          type: 'cancelled',
          data: { runId, status: 'cancelled', code: 'cancelled', reply: assistantReply(stored) ?? null },
        }),
      };
    case 'failed':
      return {
        output: ending.failure.keepsOutput ? partialOutput(progress) : [],
        outcome: failedOutcome(ending.failure, progress),
        finalEvent: () => ({ type: 'error', data: { ...ending.failure.problem, code: ending.failure.code } }),
      };
  }
}

export const failedOutcome = (failure: Failure, progress: TurnProgress): RunOutcome => ({
  status: 'failed',
  errorCode: failure.code,
  error: failure.problem.detail ?? 'The turn failed.',
  usage: progress.usage,
  steps: progress.steps,
});

/** The metrics and the log line of a stored ending. */
export function countEnd(
  metrics: AgentMetrics,
  logger: Logger,
  ending: StoredEnding,
  run: { runId: string; conversationId: string },
): void {
  switch (ending.kind) {
    case 'succeeded':
      metrics.turns.inc({ outcome: 'ok' });
      metrics.tokens.inc({ direction: 'input' }, ending.result.usage.inputTokens);
      metrics.tokens.inc({ direction: 'output' }, ending.result.usage.outputTokens);
      break;
    case 'cancelled':
      metrics.turns.inc({ outcome: 'aborted' });
      logger.info({ runId: run.runId }, 'run cancelled');
      break;
    case 'failed': {
      const { failure } = ending;
      const shutDown = failure.code === 'agent-shutdown';
      metrics.turns.inc({ outcome: shutDown ? 'aborted' : 'error' });
      // A spent budget is the owner's limit working, not an error of the agent.
      if (!shutDown && failure.kind !== 'quota') metrics.errors.inc({ kind: errorMetricKind(failure) });
      logger[failure.unexpected ? 'error' : 'warn'](
        { err: ending.error, runId: run.runId, code: failure.code, conversationId: run.conversationId },
        failure.keepsOutput
          ? 'turn stopped; the user message and what the run produced are kept'
          : 'turn failed; the user message is kept, no reply stored',
      );
      break;
    }
  }
}
