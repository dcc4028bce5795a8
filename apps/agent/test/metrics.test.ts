import { createMetricsRegistry } from '@repo/observability';
import { describe, expect, it } from 'vitest';
import {
  createAgentMetrics,
  ERROR_KINDS,
  TOKEN_DIRECTIONS,
  TURN_OUTCOMES,
} from '../src/metrics/agent-metrics.ts';
import type { FailureKind } from '../src/turns/turn-errors.ts';

// Every kind classify() reports except `aborted` (counted as a turn outcome, not an error) is
// initialised; a kind added there without a series here fails the typecheck.
type Uninitialised = Exclude<FailureKind, 'aborted' | (typeof ERROR_KINDS)[number]>;
const allKindsInitialised: [Uninitialised] extends [never] ? true : false = true;

describe('the agent metrics', () => {
  it('exist at 0 for every outcome, error kind and token direction before the first turn', async () => {
    const registry = createMetricsRegistry('agent', { defaultMetrics: false });
    createAgentMetrics(registry);
    const text = await registry.metrics();
    const zero = (metric: string, label: string, value: string) =>
      expect(text).toMatch(new RegExp(`^${metric}\\{${label}="${value}",service="agent"\\} 0$`, 'm'));
    for (const outcome of TURN_OUTCOMES) zero('agent_turns_total', 'outcome', outcome);
    for (const kind of ERROR_KINDS) zero('agent_errors_total', 'kind', kind);
    for (const direction of TOKEN_DIRECTIONS) zero('agent_tokens_total', 'direction', direction);
    // The provider-error alert reads these two kinds.
    expect(ERROR_KINDS).toEqual(expect.arrayContaining(['provider', 'timeout']));
    expect(allKindsInitialised).toBe(true);
  });
});
