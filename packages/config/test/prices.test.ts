import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configProblems, costOf, modelPrices, parseEnv, type Env } from '../src/index.ts';

const schema = z.object({ ...modelPrices });
const load = (env: Env) => parseEnv(schema, env).MODEL_PRICES;
const problemsOf = (env: Env) => configProblems(() => load(env));

describe('MODEL_PRICES', () => {
  it('is empty when unset: nothing is priced', () => {
    expect(load({}).size).toBe(0);
  });

  it('reads prices per <provider>:<model>', () => {
    const prices = load({
      MODEL_PRICES:
        '{"openai:gpt-4.1-mini": {"input": 0.4, "output": 1.6}, "openai-compatible:llama3.2": {"input": 0, "output": 0}}',
    });
    expect(prices.get('openai:gpt-4.1-mini')).toEqual({ input: 0.4, output: 1.6 });
    expect(prices.get('openai-compatible:llama3.2')).toEqual({ input: 0, output: 0 });
  });

  it.each([
    ['not JSON', '{openai', 'expected JSON'],
    ['a key without provider', '{"gpt-4": {"input": 1, "output": 2}}', '<provider>:<model>'],
    ['a negative price', '{"openai:gpt-4": {"input": -1, "output": 2}}', 'cannot be negative'],
    ['a missing direction', '{"openai:gpt-4": {"input": 1}}', '"openai:gpt-4"."output"'],
    ['a price as a string', '{"openai:gpt-4": {"input": "1", "output": 2}}', 'input'],
    ['an unknown field (a typo)', '{"openai:gpt-4": {"input": 1, "output": 2, "ouput": 3}}', 'ouput'],
  ])('refuses %s, naming the variable', (_name, value, fragment) => {
    const problems = problemsOf({ MODEL_PRICES: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('MODEL_PRICES');
    expect(problems.join()).toContain(fragment);
  });
});

describe('costOf', () => {
  const prices = load({
    MODEL_PRICES:
      '{"openai:gpt-4.1-mini": {"input": 0.4, "output": 1.6}, "anthropic:claude": {"input": 3, "output": 15}}',
  });

  it('charges tokens times the price per million, each way', () => {
    // 1,000 × 0.4 / 1e6 + 500 × 1.6 / 1e6 = 0.0004 + 0.0008
    expect(
      costOf(prices, { provider: 'openai', model: 'gpt-4.1-mini', inputTokens: 1_000, outputTokens: 500 }),
    ).toBe(0.0012);
    expect(
      costOf(prices, {
        provider: 'anthropic',
        model: 'claude',
        inputTokens: 2_000_000,
        outputTokens: 100_000,
      }),
    ).toBe(7.5);
    expect(costOf(prices, { provider: 'anthropic', model: 'claude', inputTokens: 1, outputTokens: 0 })).toBe(
      0.000003,
    );
  });

  it('is null, never 0, for a model without a price', () => {
    expect(
      costOf(prices, { provider: 'openai', model: 'gpt-5', inputTokens: 1_000, outputTokens: 1 }),
    ).toBeNull();
    // Same model name under another provider: not the same price.
    expect(
      costOf(prices, {
        provider: 'openai-compatible',
        model: 'gpt-4.1-mini',
        inputTokens: 1,
        outputTokens: 1,
      }),
    ).toBeNull();
  });

  it('is 0 for a priced call without tokens', () => {
    expect(
      costOf(prices, { provider: 'openai', model: 'gpt-4.1-mini', inputTokens: 0, outputTokens: 0 }),
    ).toBe(0);
  });
});
