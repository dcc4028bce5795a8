import { Counter, Histogram, type Registry } from '@repo/observability';

/**
 * The agent service's metrics, as the monitoring profile expects them (rules, dashboards and
 * the live check use exactly these names and labels). The agent (issue 5) registers the same
 * set on its registry; this definition stands in for it until then, in the live check's
 * fixture targets.
 *
 * Label values are closed sets, so a series per combination is bounded:
 * - `outcome` of a turn: `completed` (answered), `failed` (an error ended it), `cancelled`
 *   (the client or a shutdown aborted it), `step_limit` (stopped at AGENT_MAX_STEPS);
 * - `outcome` of a tool call: `success` | `error`;
 * - `kind` of an error: `provider` (the model API answered an error after retries, or could not
 *   be reached), `timeout` (a model call or the turn ran out of time), `tool` (a tool or MCP call
 *   failed), `internal` (anything else);
 * - `direction` of tokens: `input` | `output`, as the provider reports usage.
 */
export const AGENT_TURN_OUTCOMES = ['completed', 'failed', 'cancelled', 'step_limit'] as const;
export const AGENT_TOOL_OUTCOMES = ['success', 'error'] as const;
export const AGENT_ERROR_KINDS = ['provider', 'timeout', 'tool', 'internal'] as const;
export const TOKEN_DIRECTIONS = ['input', 'output'] as const;

export function createAgentMetrics(registry: Registry) {
  const turns = new Counter({
    name: 'agent_turns_total',
    help: 'Conversation turns, by how they ended',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: 'agent_tool_calls_total',
    help: 'Tool calls made by the model, by tool and outcome',
    labelNames: ['tool', 'outcome'] as const,
    registers: [registry],
  });
  const modelLatency = new Histogram({
    name: 'agent_model_latency_seconds',
    help: 'Duration of one model call (one step of a turn), by provider and model',
    labelNames: ['provider', 'model'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'agent_tokens_total',
    help: 'Tokens reported by the model provider, by direction',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'agent_errors_total',
    help: 'Errors during turns, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  // Every closed label set starts at 0, so rates and ratios exist (as 0) before the first event
  // and an alert on `increase()` sees the first one.
  for (const outcome of AGENT_TURN_OUTCOMES) turns.inc({ outcome }, 0);
  for (const kind of AGENT_ERROR_KINDS) errors.inc({ kind }, 0);
  for (const direction of TOKEN_DIRECTIONS) tokens.inc({ direction }, 0);
  return { turns, toolCalls, modelLatency, tokens, errors };
}
