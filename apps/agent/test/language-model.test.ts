import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createLanguageModel } from '../src/models/language-model.ts';

/**
 * Each provider's package is imported only when AGENT_MODEL names it: every branch must still
 * build a model of that provider (a wrong import would only show once someone configured it).
 */
const required = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:9/app',
  REDIS_URL: 'redis://127.0.0.1:9',
  SERVICE_AUTH_TOKEN: 's'.repeat(48),
};

describe('createLanguageModel', () => {
  it.each([
    ['openai:gpt-4.1-mini', { OPENAI_API_KEY: 'sk-test' }, 'openai.responses'],
    ['anthropic:claude-sonnet-4-5', { ANTHROPIC_API_KEY: 'sk-ant-test' }, 'anthropic.messages'],
    ['google:gemini-2.5-flash', { GOOGLE_GENERATIVE_AI_API_KEY: 'g-test' }, 'google.generative-ai'],
    [
      'openai-compatible:llama3.2',
      { OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:9/v1' },
      'openai-compatible.chat',
    ],
  ])('builds %s through its own provider package', async (name, variables, sdkProvider) => {
    const configured = await createLanguageModel(
      loadConfig({ ...required, AGENT_MODEL: name, ...variables }),
    );
    const [provider, modelId] = [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)];
    expect(configured).toMatchObject({ provider, modelId });
    expect(configured!.model).toMatchObject({ provider: sdkProvider, modelId });
  });

  it('is undefined without AGENT_MODEL', async () => {
    expect(await createLanguageModel(loadConfig(required))).toBeUndefined();
  });
});
