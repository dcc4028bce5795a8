import { HttpProblem } from '@repo/http';
import { generateText } from 'ai';
import type { AgentConfig } from '../config.ts';
import type { ConversationStore } from '../conversations/conversation-store.ts';
import { selectContext } from '../memory/context-window.ts';
import { estimateTokens } from '../memory/tokens.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import { missingModelHint, type ConfiguredModel } from '../models/language-model.ts';
import { classify } from '../turns/turn-errors.ts';
import type { UsageMeter } from '../usage/model-usage.ts';

export interface SummaryDependencies {
  config: AgentConfig;
  store: ConversationStore;
  model: ConfiguredModel | undefined;
  metrics: AgentMetrics;
  meter: UsageMeter;
}

export type SummaryOutcome =
  { status: 'summarized'; summarizedThroughSeq: number; summaryTokens: number } | { status: 'up-to-date' };

const INSTRUCTIONS =
  'You maintain the running summary of a conversation between a user and an assistant. Rewrite the summary so it also covers the new messages: keep facts, decisions, names, numbers and open questions; drop pleasantries. Answer with the summary only.';

/**
 * Folds the turns that no longer fit the token budget into the conversation's running summary.
 * Runs in the background (the summarize-conversation job calls it); idempotent: a second run
 * finds nothing left to fold, and the summary never moves backwards.
 */
export async function summarizeConversation(
  deps: SummaryDependencies,
  ownerId: string,
  conversationId: string,
  signal?: AbortSignal,
  /** Carried by a failure's problem, so the caller's log and the agent's share one id. */
  requestId?: string,
): Promise<SummaryOutcome> {
  const conversation = await deps.store.find(ownerId, conversationId);
  if (!conversation) throw new HttpProblem(404, 'conversation not found');
  if (!deps.model) throw new HttpProblem(503, missingModelHint(), { type: 'urn:keelson:problem:no-model' });

  const history = await deps.store.unsummarized(conversation.id, conversation.summarizedThroughSeq);
  const context = selectContext({
    messages: history,
    systemTokens: estimateTokens(deps.config.AGENT_SYSTEM_PROMPT),
    summaryTokens: conversation.summary ? estimateTokens(conversation.summary) : 0,
    summarizedThroughSeq: conversation.summarizedThroughSeq,
    budget: deps.config.AGENT_TOKEN_BUDGET,
  });
  if (context.unsummarizedDropped === 0) return { status: 'up-to-date' };
  const folded = history.slice(0, context.unsummarizedDropped);
  const throughSeq = folded.at(-1)!.seq;

  const transcript = folded
    .map(
      (m) =>
        `${m.role}: ${m.content || (m.toolCalls ? `[called ${m.toolCalls.map((c) => c.toolName).join(', ')}]` : '[tool result]')}`,
    )
    .join('\n');
  const started = performance.now();
  try {
    const result = await generateText({
      model: deps.model.model,
      instructions: INSTRUCTIONS,
      prompt: `Current summary:\n${conversation.summary ?? '(none yet)'}\n\nNew messages:\n${transcript}`,
      temperature: 0,
      maxOutputTokens: Math.max(256, Math.floor(deps.config.AGENT_TOKEN_BUDGET / 4)),
      maxRetries: deps.config.AGENT_MODEL_RETRIES,
      timeout: deps.config.AGENT_MODEL_TIMEOUT_MS,
      abortSignal: signal,
    });
    deps.metrics.modelLatency.observe(
      { provider: deps.model.provider, model: deps.model.modelId },
      (performance.now() - started) / 1000,
    );
    deps.metrics.tokens.inc({ direction: 'input' }, result.usage.inputTokens ?? 0);
    deps.metrics.tokens.inc({ direction: 'output' }, result.usage.outputTokens ?? 0);
    const usage = deps.meter({
      kind: 'summary',
      provider: deps.model.provider,
      model: deps.model.modelId,
      inputTokens: result.usage.inputTokens ?? 0,
      outputTokens: result.usage.outputTokens ?? 0,
    });
    await deps.store.saveSummary(
      { ownerId, conversationId: conversation.id },
      result.text.trim(),
      throughSeq,
      usage,
    );
    return {
      status: 'summarized',
      summarizedThroughSeq: throughSeq,
      summaryTokens: estimateTokens(result.text),
    };
  } catch (error) {
    const { kind, problem } = classify(error, requestId);
    deps.metrics.errors.inc({ kind });
    throw problem ?? error;
  }
}
