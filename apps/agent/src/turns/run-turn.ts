import type { Message } from '@repo/db';
import { HttpProblem } from '@repo/http';
import type { Logger } from '@repo/observability';
import { isStepCount, streamText, type TextStreamPart, type ToolSet } from 'ai';
import type { AgentConfig } from '../config.ts';
import type { ConversationStore } from '../conversations/conversation-store.ts';
import { fromResponseMessages, toModelMessages } from '../conversations/model-messages.ts';
import { selectContext } from '../memory/context-window.ts';
import { estimateTokens } from '../memory/tokens.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import { missingModelHint, type ConfiguredModel } from '../models/language-model.ts';
import type { Toolbox } from '../tools/mcp-toolbox.ts';
import { classify } from './turn-errors.ts';

export interface TurnDependencies {
  config: AgentConfig;
  store: ConversationStore;
  model: ConfiguredModel | undefined;
  toolbox: Toolbox;
  metrics: AgentMetrics;
  logger: Logger;
  /** Queues a background summary of the turns that no longer fit; never awaited by a turn. */
  requestSummary: (ownerId: string, conversationId: string) => void;
}

export interface TurnInput {
  ownerId: string;
  conversationId: string;
  content: string;
  idempotencyKey?: string;
  /** Aborted when the client goes away: the model call is cancelled with it. */
  signal: AbortSignal;
  /** The request's id: a failed turn's problem carries it, so the client can quote it. */
  requestId?: string;
  /**
   * How deep in a chain of agent runs this turn is (the task-runner says so; 0 for a conversation
   * turn). Handed to the api with every tool call, so a run this turn queues is one level deeper.
   */
  runDepth?: number;
}

/** What a streaming caller hears while the turn runs. */
export type TurnEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output: unknown; isError: boolean };

export interface TurnResult {
  userMessage: Message;
  /** The final assistant message (its text is the answer). */
  reply: Message;
  /** Every message the turn stored after the user's (assistant tool calls, tool results, answer). */
  messages: Message[];
  usage: { inputTokens: number; outputTokens: number };
  finishReason: string;
  steps: number;
  /** The same idempotency key was answered before: nothing new was generated. */
  replayed: boolean;
}

/**
 * One turn: store the user's message (once per idempotency key), send the system prompt, the
 * running summary and the newest turns that fit the token budget, let the model call tools up to
 * the step limit, then store everything it produced in one transaction.
 */
export async function runTurn(
  deps: TurnDependencies,
  input: TurnInput,
  onEvent?: (event: TurnEvent) => void,
): Promise<TurnResult> {
  const { config, store, metrics } = deps;
  const conversation = await store.find(input.ownerId, input.conversationId);
  if (!conversation) throw new HttpProblem(404, 'conversation not found');
  if (!deps.model) {
    metrics.errors.inc({ kind: 'no-model' });
    throw new HttpProblem(503, missingModelHint(), { type: 'urn:keelson:problem:no-model' });
  }
  const { model, provider, modelId } = deps.model;

  const { message: userMessage, replay } = await store.appendUserMessage(conversation.id, {
    content: input.content,
    idempotencyKey: input.idempotencyKey,
    tokenCount: estimateTokens(input.content),
  });
  if (replay) {
    metrics.turns.inc({ outcome: 'replayed' });
    return {
      userMessage,
      reply: replay,
      messages: [replay],
      usage: { inputTokens: 0, outputTokens: 0 },
      finishReason: 'replayed',
      steps: 0,
      replayed: true,
    };
  }

  const instructions = conversation.summary
    ? `${config.AGENT_SYSTEM_PROMPT}\n\nSummary of the earlier conversation:\n${conversation.summary}`
    : config.AGENT_SYSTEM_PROMPT;
  const history = await store.unsummarized(conversation.id, conversation.summarizedThroughSeq);
  const context = selectContext({
    messages: history,
    systemTokens: estimateTokens(instructions),
    summaryTokens: 0,
    summarizedThroughSeq: conversation.summarizedThroughSeq,
    budget: config.AGENT_TOKEN_BUDGET,
  });
  const tools: ToolSet = await deps.toolbox.toolsFor(input.ownerId, input.runDepth ?? 0);

  const started = performance.now();
  // The first error the stream reported (provider error, timeout, abort); thrown after the stream ends.
  let failure: Error | undefined;
  const result = streamText({
    model,
    instructions,
    messages: toModelMessages(context.messages),
    tools,
    stopWhen: isStepCount(config.AGENT_MAX_STEPS),
    temperature: config.AGENT_TEMPERATURE,
    maxOutputTokens: config.AGENT_MAX_OUTPUT_TOKENS,
    maxRetries: config.AGENT_MODEL_RETRIES,
    timeout: { stepMs: config.AGENT_MODEL_TIMEOUT_MS },
    abortSignal: input.signal,
    onError: ({ error }) => {
      failure ??= toError(error);
    },
  });

  try {
    for await (const part of result.stream) forward(part, onEvent, (error) => (failure ??= toError(error)));
    if (failure) throw failure;
    const [responseMessages, usage, finishReason, steps] = await Promise.all([
      result.responseMessages,
      result.usage,
      result.finishReason,
      result.steps,
    ]);
    metrics.modelLatency.observe({ provider, model: modelId }, (performance.now() - started) / 1000);
    const tokens = { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
    metrics.tokens.inc({ direction: 'input' }, tokens.inputTokens);
    metrics.tokens.inc({ direction: 'output' }, tokens.outputTokens);

    const stored = await store.appendOutput(conversation.id, fromResponseMessages(responseMessages), tokens);
    const reply = stored.filter((m) => m.role === 'assistant').at(-1);
    if (!reply) throw new Error('the model produced no assistant message');
    metrics.turns.inc({ outcome: 'ok' });
    if (context.unsummarizedDropped > 0) deps.requestSummary(input.ownerId, conversation.id);
    return {
      userMessage,
      reply,
      messages: stored,
      usage: tokens,
      finishReason,
      steps: steps.length,
      replayed: false,
    };
  } catch (error) {
    const { kind, problem } = classify(
      input.signal.aborted ? (input.signal.reason ?? error) : error,
      input.requestId,
    );
    metrics.turns.inc({ outcome: kind === 'aborted' ? 'aborted' : 'error' });
    if (kind !== 'aborted') metrics.errors.inc({ kind });
    deps.logger.warn(
      { err: error, kind, conversationId: conversation.id },
      'turn failed; the user message is kept, no reply stored',
    );
    throw problem ?? error;
  }
}

function forward(
  part: TextStreamPart<ToolSet>,
  onEvent: ((event: TurnEvent) => void) | undefined,
  fail: (error: unknown) => void,
) {
  switch (part.type) {
    case 'text-delta':
      onEvent?.({ type: 'text-delta', text: part.text });
      break;
    case 'tool-call':
      onEvent?.({
        type: 'tool-call',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        input: part.input,
      });
      break;
    case 'tool-result':
      onEvent?.({
        type: 'tool-result',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        output: part.output,
        isError: false,
      });
      break;
    case 'tool-error':
      onEvent?.({
        type: 'tool-result',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        output: String(part.error),
        isError: true,
      });
      break;
    case 'error':
      fail(part.error);
      break;
    case 'abort':
      fail(Object.assign(new Error(String(part.reason)), { name: nameOf(part.reason) }));
      break;
    default:
      break;
  }
}

function nameOf(reason: unknown): string {
  return String(reason).startsWith('TimeoutError') ? 'TimeoutError' : 'AbortError';
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
