import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Token estimates for budgeting history. o200k_base (the GPT-4o/4.1/o-series encoding) is used
 * for every provider: Anthropic and Google tokenize differently, so this is an estimate and the
 * budget should keep a margin below the model's context window. What a call really cost is
 * taken from the provider's reported usage and stored on the message.
 */
export function estimateTokens(text: string): number {
  // Per-message framing (role, separators) costs a few tokens in every chat format.
  return countTokens(text) + 4;
}
