import type { RunEventInput } from '@repo/runs';
import { isStepCount, streamText, type ModelMessage, type TextStreamPart, type ToolSet } from 'ai';
import type { AgentConfig } from '../config.ts';
import type { ConversationStore } from '../conversations/conversation-store.ts';
import { toModelMessages } from '../conversations/model-messages.ts';
import { selectContext } from '../memory/context-window.ts';
import { estimateTokens } from '../memory/tokens.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import type { ConfiguredModel } from '../models/language-model.ts';
import type { RunConversation } from '../runs/run-start.ts';
import type { ToolCallRecord } from '../runs/run-store.ts';
import type { Toolbox } from '../tools/mcp-toolbox.ts';
import type { ModelCallUsage, UsageMeter } from '../usage/model-usage.ts';

export interface TurnDependencies {
  config: AgentConfig;
  store: ConversationStore;
  model: ConfiguredModel;
  toolbox: Toolbox;
  metrics: AgentMetrics;
  /** Prices each step's model call and counts it in the metrics. */
  meter: UsageMeter;
  /**
   * Whether the owner's monthly token budget is spent, counting `unstored` tokens this run has
   * charged but not yet written (run-quota.ts budgetSpent): asked before each further step.
   */
  budgetSpent: (ownerId: string, unstored: number) => Promise<BudgetCheck>;
}

export interface BudgetCheck {
  spent: boolean;
  limit: number;
  used: number;
}

export interface TurnInput {
  ownerId: string;
  runId: string;
  conversation: RunConversation;
  /** Aborted to stop the run (a cancel, a lost lease, shutdown): the model call and tools stop. */
  signal: AbortSignal;
  /** Every event of the turn, as it happens. */
  emit: (event: RunEventInput) => void;
  /** Filled as the turn goes, so whoever ends it early knows what it produced. */
  progress: TurnProgress;
  /**
   * How deep in a chain of agent runs this turn is (the task-runner says so; 0 for a conversation
   * turn). Handed to the api with every tool call, so a run this turn queues is one level deeper.
   */
  runDepth?: number;
  /**
   * A run continued after its approvals were decided: the decisions, given to the AI SDK as
   * tool-approval-response parts after the stored step that asked for them. Approved calls run
   * (with their idempotency keys), denied ones are told to the model as denied.
   */
  decisions?: readonly ApprovalDecision[];
}

/** A person's decision on one tool call that waited for approval. */
export interface ApprovalDecision {
  toolCallId: string;
  approvalId: string;
  approved: boolean;
  reason?: string | undefined;
}

/** A tool call the model made that waits for a person's approval (the run pauses for it). */
export interface PendingApproval {
  toolCallId: string;
  approvalId: string;
  toolName: string;
  input: unknown;
}

export interface TurnResult {
  responseMessages: ModelMessage[];
  usage: { inputTokens: number; outputTokens: number };
  finishReason: string;
  steps: number;
  /** Older turns no longer fit the token budget: a summary should fold them in. */
  outgrewBudget: boolean;
  /** Calls waiting for approval: the run pauses (awaiting_approval) instead of ending. */
  pendingApprovals: PendingApproval[];
}

/** What a turn produced so far: finished steps, the text of the step under way, usage, tool calls. */
export function createTurnProgress(runId: string) {
  const toolCalls = new Map<string, ToolCallRecord>();
  let charged: ModelCallUsage[] = [];
  return {
    /** Tool calls the AI SDK asked a person's approval for, in order. */
    approvals: [] as PendingApproval[],
    /** The response messages of the steps that finished (each step's assistant and tool messages). */
    stepMessages: [] as ModelMessage[],
    /** The text of the step under way (kept when a cancelled run stores its partial answer). */
    partialText: '',
    usage: { inputTokens: 0, outputTokens: 0 },
    steps: 0,
    finishReason: undefined as string | undefined,
    /** Set when the run stopped between steps because the owner's monthly budget was spent. */
    budgetExhausted: undefined as BudgetCheck | undefined,
    /** Tokens of the model calls charged and not yet taken for storage. */
    unstoredTokens(): number {
      return charged.reduce((sum, call) => sum + call.inputTokens + call.outputTokens, 0);
    },
    /** Records a call, or its outcome; one record per call until they are taken for storage. */
    toolCall(record: Omit<ToolCallRecord, 'idempotencyKey'>) {
      const known = toolCalls.get(record.toolCallId);
      const isError = record.isError ?? known?.isError;
      const approval = record.approval ?? known?.approval;
      toolCalls.set(record.toolCallId, {
        toolCallId: record.toolCallId,
        toolName: record.toolName,
        input: record.input ?? known?.input,
        idempotencyKey: toolCallKey(runId, record.toolCallId),
        ...(isError === undefined ? {} : { isError }),
        ...(approval === undefined ? {} : { approval }),
      });
    },
    /** The calls recorded since the last time, for storage. */
    takeToolCalls(): ToolCallRecord[] {
      const taken = [...toolCalls.values()];
      toolCalls.clear();
      return taken;
    },
    /** A finished step's model call, to be stored with the run's next batch of events. */
    charge(usage: ModelCallUsage) {
      charged.push(usage);
    },
    /** The model calls charged since the last time, for storage. */
    takeUsage(): ModelCallUsage[] {
      const taken = charged;
      charged = [];
      return taken;
    },
    /** Puts back usage whose storage failed, before what was charged since. */
    restoreUsage(usage: readonly ModelCallUsage[]) {
      charged = [...usage, ...charged];
    },
    /** Puts back calls whose storage failed; what was recorded since is newer and wins. */
    restoreToolCalls(calls: readonly ToolCallRecord[]) {
      const newer = [...toolCalls.values()];
      toolCalls.clear();
      for (const call of [...calls, ...newer]) this.toolCall(call);
    },
  };
}

export type TurnProgress = ReturnType<typeof createTurnProgress>;

/**
 * The idempotency key of one tool call, sent with it to the MCP server: the same call carries the
 * same key however often it is sent (a retried request, a re-delivered job), so the server can do
 * its side effect once.
 */
export const toolCallKey = (runId: string, toolCallId: string) => `${runId}:${toolCallId}`;

/**
 * The model's part of a run: the system prompt (plus the running summary), the newest turns that
 * fit the token budget, the tools, then the tool loop up to the step limit. Every stream part the
 * client should see becomes an event; storing is the executor's business.
 */
export async function runTurn(deps: TurnDependencies, input: TurnInput): Promise<TurnResult> {
  const { config, store, metrics } = deps;
  const { model, provider, modelId } = deps.model;
  const { conversation, progress } = input;

  const instructions = conversation.summary
    ? `${config.AGENT_SYSTEM_PROMPT}\n\nSummary of the earlier conversation:\n${conversation.summary}`
    : config.AGENT_SYSTEM_PROMPT;
  const history = await store.unsummarized(conversation.id, conversation.summarizedThroughSeq);
  const decided = new Set(input.decisions?.map((decision) => decision.toolCallId));
  const context = selectContext({
    messages: history,
    systemTokens: estimateTokens(instructions),
    summaryTokens: 0,
    summarizedThroughSeq: conversation.summarizedThroughSeq,
    budget: config.AGENT_TOKEN_BUDGET,
  });
  const tools: ToolSet = await deps.toolbox.toolsFor(input.ownerId, {
    runDepth: input.runDepth ?? 0,
    idempotencyKey: (toolCallId) => toolCallKey(input.runId, toolCallId),
  });

  const started = performance.now();
  // Each model call is charged as soon as its response is in — before its tools run, so a run
  // cancelled during a tool call still pays for the call that asked for it. (A step's
  // `finish-step` part comes only after its tools.) Stored with the run's next batch.
  const charge = (usage: { inputTokens: number; outputTokens: number }) =>
    progress.charge(deps.meter({ kind: 'chat', provider, model: modelId, ...usage }));
  // The first error the stream reported (provider error, timeout, abort); thrown after the stream ends.
  let failure: Error | undefined;
  const atStepLimit = isStepCount(config.AGENT_MAX_STEPS);
  const result = streamText({
    model,
    instructions,
    messages: withDecisions(toModelMessages(context.messages, decided), input.decisions ?? []),
    tools,
    // Before each further step: a run whose owner's month is spent stops here, after the model
    // call that spent it and its tools, so nothing it produced is lost (the executor ends it
    // `budget-exhausted`). One read per further step; a one-step turn never asks. A run at its
    // step limit ends there as it always does, without asking: no step is refused, so the budget
    // did not stop it (the AI SDK evaluates every condition of a list, hence one condition).
    stopWhen: async (options) => {
      if (await atStepLimit(options)) return true;
      const budget = await deps.budgetSpent(input.ownerId, progress.unstoredTokens());
      if (budget.spent) progress.budgetExhausted = budget;
      return budget.spent;
    },
    temperature: config.AGENT_TEMPERATURE,
    maxOutputTokens: config.AGENT_MAX_OUTPUT_TOKENS,
    maxRetries: config.AGENT_MODEL_RETRIES,
    timeout: { stepMs: config.AGENT_MODEL_TIMEOUT_MS },
    abortSignal: input.signal,
    onLanguageModelCallEnd: ({ usage }) => {
      charge({ inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 });
    },
    onStepEnd: (step) => {
      progress.stepMessages.push(...step.response.messages);
      progress.partialText = '';
    },
    onError: ({ error }) => {
      failure ??= toError(error);
    },
  });

  for await (const part of result.stream) {
    forward(part, input, (error) => (failure ??= toError(error)));
  }
  if (failure) throw failure;
  const [responseMessages, usage, finishReason, steps] = await Promise.all([
    result.responseMessages,
    result.usage,
    result.finishReason,
    result.steps,
  ]);
  metrics.modelLatency.observe({ provider, model: modelId }, (performance.now() - started) / 1000);
  return {
    responseMessages,
    usage: { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 },
    finishReason,
    steps: steps.length,
    outgrewBudget: context.unsummarizedDropped > 0,
    pendingApprovals: progress.approvals,
  };
}

/**
 * The stored history of a paused run, as the AI SDK continues it: each decided call's
 * tool-approval-request part beside its tool-call (the SDK matches them by approval id), and the
 * decisions as tool-approval-response parts in the last message, a tool message — the one the
 * paused step stored for the calls that needed no approval, or a new one.
 */
function withDecisions(messages: ModelMessage[], decisions: readonly ApprovalDecision[]): ModelMessage[] {
  if (decisions.length === 0) return messages;
  const byCall = new Map(decisions.map((decision) => [decision.toolCallId, decision]));
  const out = messages.map((message) => {
    if (message.role !== 'assistant' || typeof message.content === 'string') return message;
    const requests = message.content.flatMap((part) => {
      const decision = part.type === 'tool-call' ? byCall.get(part.toolCallId) : undefined;
      return decision
        ? [
            {
              type: 'tool-approval-request' as const,
              approvalId: decision.approvalId,
              toolCallId: decision.toolCallId,
            },
          ]
        : [];
    });
    return requests.length > 0 ? { ...message, content: [...message.content, ...requests] } : message;
  });
  const responses = decisions.map((decision) => ({
    type: 'tool-approval-response' as const,
    approvalId: decision.approvalId,
    approved: decision.approved,
    ...(decision.reason === undefined ? {} : { reason: decision.reason }),
  }));
  const last = out.at(-1);
  if (last?.role === 'tool') out[out.length - 1] = { ...last, content: [...last.content, ...responses] };
  else out.push({ role: 'tool', content: responses });
  return out;
}

function forward(part: TextStreamPart<ToolSet>, input: TurnInput, fail: (error: unknown) => void) {
  const { emit, progress } = input;
  /** A call's outcome: kept for the stored messages, and streamed as a `tool-result` event. */
  const toolResult = (
    call: { toolCallId: string; toolName: string },
    output: unknown,
    isError: boolean,
    denied = false,
  ) => {
    // Only the two names: the stream part carries more (its output, its type).
    const { toolCallId, toolName } = call;
    progress.toolCall({ toolCallId, toolName, input: undefined, isError });
    emit({
      type: 'tool-result',
      data: { type: 'tool-result', toolCallId, toolName, output, isError, ...(denied ? { denied } : {}) },
    });
  };
  switch (part.type) {
    case 'text-delta':
      progress.partialText += part.text;
      emit({ type: 'text-delta', data: { type: 'text-delta', text: part.text } });
      break;
    case 'tool-call':
      progress.toolCall({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
      emit({
        type: 'tool-call',
        data: {
          type: 'tool-call',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: part.input as unknown,
        },
      });
      break;
    case 'tool-result':
      toolResult(part, part.output as unknown, false);
      break;
    case 'tool-approval-request':
      progress.approvals.push({
        toolCallId: part.toolCall.toolCallId,
        approvalId: part.approvalId,
        toolName: part.toolCall.toolName,
        input: part.toolCall.input as unknown,
      });
      break;
    case 'tool-output-denied':
      // A call a person denied: the model is told so (the AI SDK's execution-denied result).
      toolResult(
        part,
        input.decisions?.find((decision) => decision.toolCallId === part.toolCallId)?.reason ??
          'The call was denied.',
        true,
        true,
      );
      break;
    case 'tool-error':
      toolResult(part, String(part.error), true);
      break;
    case 'finish-step': {
      const usage = { inputTokens: part.usage.inputTokens ?? 0, outputTokens: part.usage.outputTokens ?? 0 };
      progress.steps += 1;
      progress.usage.inputTokens += usage.inputTokens;
      progress.usage.outputTokens += usage.outputTokens;
      progress.finishReason = part.finishReason;
      emit({
        type: 'step-finish',
        data: { type: 'step-finish', step: progress.steps, finishReason: part.finishReason, usage },
      });
      break;
    }
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
