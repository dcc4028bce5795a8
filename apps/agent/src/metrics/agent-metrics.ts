import { Counter, Histogram, type Registry } from '@repo/observability';

/**
 * The agent's own series (names shared with the monitoring rules and dashboards):
 * turns by outcome, tool calls by tool and outcome, model latency, tokens, errors by kind; and
 * each model call's tokens and cost by provider and model (never by owner: that is /v1/usage).
 */
export function createAgentMetrics(registry: Registry) {
  const metrics = {
    turns: new Counter({
      name: 'agent_turns_total',
      help: 'Conversation turns, by outcome (ok, replayed, aborted, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    toolCalls: new Counter({
      name: 'agent_tool_calls_total',
      help: 'Tool calls made by the model, by tool and outcome',
      labelNames: ['tool', 'outcome'] as const,
      registers: [registry],
    }),
    modelLatency: new Histogram({
      name: 'agent_model_latency_seconds',
      help: 'Duration of model calls (a whole multi-step turn or a summary), by provider and model',
      labelNames: ['provider', 'model'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80],
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'agent_tokens_total',
      help: 'Tokens reported by the provider, by direction (input, output)',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    modelTokens: new Counter({
      name: 'agent_model_tokens_total',
      help: 'Tokens of model calls (each step of a turn, summaries), by provider, model and direction (input, output)',
      labelNames: ['provider', 'model', 'direction'] as const,
      registers: [registry],
    }),
    modelCalls: new Counter({
      name: 'agent_model_calls_total',
      help: 'Model calls recorded as usage, by provider, model and whether MODEL_PRICES prices them',
      labelNames: ['provider', 'model', 'priced'] as const,
      registers: [registry],
    }),
    modelCost: new Counter({
      name: 'agent_model_cost_usd_total',
      help: 'What priced model calls cost in USD (MODEL_PRICES), by provider and model; unpriced calls add nothing',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'agent_errors_total',
      help: 'Failed turns and summaries, by kind (provider, timeout, no-model, internal)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
  // Every closed label set starts at 0, so each series exists from the first scrape: rate() and
  // increase() (the provider-error ratio, its alert) count the first event, panels are not empty.
  for (const outcome of TURN_OUTCOMES) metrics.turns.inc({ outcome }, 0);
  for (const kind of ERROR_KINDS) metrics.errors.inc({ kind }, 0);
  for (const direction of TOKEN_DIRECTIONS) metrics.tokens.inc({ direction }, 0);
  return metrics;
}

/** `agent_turns_total{outcome}` (run-turn.ts). */
export const TURN_OUTCOMES = ['ok', 'replayed', 'aborted', 'error'] as const;
/** `agent_errors_total{kind}`: classify()'s kinds but `aborted` (not an error), and `no-model`. */
export const ERROR_KINDS = ['provider', 'timeout', 'no-model', 'internal'] as const;
export const TOKEN_DIRECTIONS = ['input', 'output'] as const;

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
