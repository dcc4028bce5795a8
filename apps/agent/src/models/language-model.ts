import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogle } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { PROVIDER_VARIABLES, type AgentConfig, type ProviderName } from '../config.ts';

export interface ConfiguredModel {
  model: LanguageModel;
  provider: ProviderName;
  modelId: string;
}

/**
 * The model named by AGENT_MODEL, through the Vercel AI SDK's provider packages, or undefined
 * when none is configured (the service runs and says so). Keys come from the parsed config, never
 * from the providers' own environment lookups, so `NAME_FILE` secrets work for them too.
 */
export function createLanguageModel(config: AgentConfig): ConfiguredModel | undefined {
  if (!config.AGENT_MODEL) return undefined;
  const separator = config.AGENT_MODEL.indexOf(':');
  const provider = config.AGENT_MODEL.slice(0, separator) as ProviderName;
  const modelId = config.AGENT_MODEL.slice(separator + 1);
  return { provider, modelId, model: build(provider, modelId, config) };
}

function build(provider: ProviderName, modelId: string, config: AgentConfig): LanguageModel {
  switch (provider) {
    case 'openai':
      // OpenAI's own API: the Responses API, the provider's default.
      return createOpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL })(modelId);
    case 'anthropic':
      return createAnthropic({ apiKey: config.ANTHROPIC_API_KEY })(modelId);
    case 'google':
      return createGoogle({ apiKey: config.GOOGLE_GENERATIVE_AI_API_KEY })(modelId);
    case 'openai-compatible':
      // Chat completions at any base URL: Ollama, vLLM, LM Studio, the test suite's fake model.
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: config.OPENAI_COMPATIBLE_BASE_URL!,
        apiKey: config.OPENAI_COMPATIBLE_API_KEY,
        includeUsage: true,
      })(modelId);
  }
}

/** What to tell an operator (in /ready, logs and the 503 of a turn) when no model is configured. */
export function missingModelHint(): string {
  const variables = Object.entries(PROVIDER_VARIABLES)
    .map(([provider, needs]) => `${provider}: ${[needs.key, needs.baseUrl].filter(Boolean).join(', ')}`)
    .join('; ');
  return `No model provider is configured. Set AGENT_MODEL=<provider>:<model> and the provider's variables (${variables}).`;
}
