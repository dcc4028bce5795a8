import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  configProblems,
  embedding,
  embeddingModelConfig,
  parseEnv,
  refineEmbedding,
  type Env,
} from '../src/index.ts';

const schema = z.object({ ...embedding }).superRefine(refineEmbedding);
const load = (env: Env) => parseEnv(schema, env);
const problemsOf = (env: Env) => configProblems(() => load(env)).join('\n');

describe('the embedding model (EMBEDDING_*)', () => {
  it('is off when unset: no model, nothing embedded', () => {
    expect(embeddingModelConfig(load({}))).toBeUndefined();
  });

  it('reads the model, its server, its key from a file, and the bounds of a call', () => {
    const directory = mkdtempSync(join(tmpdir(), 'embedding-key-'));
    writeFileSync(join(directory, 'key'), 'sk-from-a-file\n');
    const config = load({
      EMBEDDING_MODEL: 'text-embedding-3-small',
      EMBEDDING_BASE_URL: 'https://api.openai.com/v1',
      EMBEDDING_API_KEY_FILE: join(directory, 'key'),
      EMBEDDING_BATCH_SIZE: '16',
    });
    expect(embeddingModelConfig(config)).toEqual({
      model: 'text-embedding-3-small',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-from-a-file',
      timeoutMs: 10_000,
      batchSize: 16,
    });
  });

  it.each([
    [
      'a model without its server',
      { EMBEDDING_MODEL: 'm' },
      'EMBEDDING_BASE_URL',
      'is required because EMBEDDING_MODEL',
    ],
    [
      'a server without a model',
      { EMBEDDING_BASE_URL: 'http://x/v1' },
      'EMBEDDING_MODEL',
      'EMBEDDING_BASE_URL is set',
    ],
    ['a key without a model', { EMBEDDING_API_KEY: 'sk' }, 'EMBEDDING_MODEL', 'EMBEDDING_API_KEY is set'],
    [
      'a server URL that is not http(s)',
      { EMBEDDING_MODEL: 'm', EMBEDDING_BASE_URL: 'ftp://x' },
      'EMBEDDING_BASE_URL',
      'http',
    ],
    ['a batch of 0', { EMBEDDING_BATCH_SIZE: '0' }, 'EMBEDDING_BATCH_SIZE', 'at least 1'],
    ['a batch above the API limit', { EMBEDDING_BATCH_SIZE: '5000' }, 'EMBEDDING_BATCH_SIZE', 'at most 2048'],
  ])('refuses %s, naming the variable and why', (_name, env, variable, why) => {
    const problems = problemsOf(env);
    expect(problems).toContain(variable);
    expect(problems).toContain(why);
  });

  it('never prints the key in a configuration error', () => {
    expect(problemsOf({ EMBEDDING_API_KEY: 'sk-very-secret-value' })).not.toContain('sk-very-secret-value');
  });
});
