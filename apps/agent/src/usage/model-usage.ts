import { costOf, type PriceTable } from '@repo/config';
import type { UsageKind } from '@repo/db';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';

/** One model call's tokens and what they cost (null: the model has no price), as it is stored. */
export interface ModelCallUsage {
  kind: UsageKind;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
  /** When the call ended: a step stored with a later batch keeps its own time. */
  at: Date;
}

/**
 * Prices a model call with the configured table and counts it in the metrics (by provider and
 * model, never by owner: one series per owner would grow without bound). The caller stores the
 * record where the call's other writes go.
 */
export function createUsageMeter(prices: PriceTable, metrics: AgentMetrics) {
  return (call: Omit<ModelCallUsage, 'cost' | 'at'>): ModelCallUsage => {
    const cost = costOf(prices, call);
    const labels = { provider: call.provider, model: call.model };
    metrics.modelTokens.inc({ ...labels, direction: 'input' }, call.inputTokens);
    metrics.modelTokens.inc({ ...labels, direction: 'output' }, call.outputTokens);
    metrics.modelCalls.inc({ ...labels, priced: String(cost !== null) });
    if (cost !== null) metrics.modelCost.inc(labels, cost);
    return { ...call, cost, at: new Date() };
  };
}

export type UsageMeter = ReturnType<typeof createUsageMeter>;
