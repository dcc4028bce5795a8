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
export async function createLanguageModel(config: AgentConfig): Promise<ConfiguredModel | undefined> {
  if (!config.AGENT_MODEL) return undefined;
  const separator = config.AGENT_MODEL.indexOf(':');
  const provider = config.AGENT_MODEL.slice(0, separator) as ProviderName;
  const modelId = config.AGENT_MODEL.slice(separator + 1);
  return { provider, modelId, model: await build(provider, modelId, config) };
}

// Only the configured provider's package is imported: a deployment talks to one provider, and
// each package costs start-up time and memory in every agent process (tests/bench/README.md).
async function build(provider: ProviderName, modelId: string, config: AgentConfig): Promise<LanguageModel> {
  switch (provider) {
    case 'openai': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      // OpenAI's own API: the Responses API, the provider's default.
      return createOpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL })(modelId);
    }
    case 'anthropic': {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      return createAnthropic({ apiKey: config.ANTHROPIC_API_KEY })(modelId);
    }
    case 'google': {
      const { createGoogle } = await import('@ai-sdk/google');
      return createGoogle({ apiKey: config.GOOGLE_GENERATIVE_AI_API_KEY })(modelId);
    }
    case 'openai-compatible': {
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      // Chat completions at any base URL: Ollama, vLLM, LM Studio, the test suite's fake model.
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: config.OPENAI_COMPATIBLE_BASE_URL!,
        apiKey: config.OPENAI_COMPATIBLE_API_KEY,
        includeUsage: true,
      })(modelId);
    }
  }
}

/** What to tell an operator (in /ready, logs and the 503 of a turn) when no model is configured. */
export function missingModelHint(): string {
  const variables = Object.entries(PROVIDER_VARIABLES)
    .map(([provider, needs]) => `${provider}: ${[needs.key, needs.baseUrl].filter(Boolean).join(', ')}`)
    .join('; ');
  return `No model provider is configured. Set AGENT_MODEL=<provider>:<model> and the provider's variables (${variables}).`;
}
