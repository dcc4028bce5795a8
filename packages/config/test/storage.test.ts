import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  configProblems,
  objectStorageConfig,
  parseEnv,
  refineStorage,
  storage,
  type Env,
} from '../src/index.ts';

const schema = z.object({ ...storage }).superRefine(refineStorage);
const load = (env: Env) => parseEnv(schema, env);
const problemsOf = (env: Env) => configProblems(() => load(env));

const dir = mkdtempSync(join(tmpdir(), 'keelson-storage-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the storage block', () => {
  it('is off without S3_BUCKET', () => {
    expect(objectStorageConfig(load({}))).toBeUndefined();
  });

  it('uses the default credential chain when no keys are set (an IAM task role on AWS)', () => {
    expect(objectStorageConfig(load({ S3_BUCKET: 'keelson-uploads', S3_REGION: 'eu-west-1' }))).toEqual({
      bucket: 'keelson-uploads',
      region: 'eu-west-1',
      endpoint: undefined,
      forcePathStyle: false,
      keyPrefix: 'documents/',
      credentials: undefined,
    });
  });

  it('reads an S3-compatible server with static keys, the secret from a file', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'super-secret\n');
    const config = objectStorageConfig(
      load({
        S3_BUCKET: 'keelson',
        S3_ENDPOINT: 'http://s3:3900',
        S3_REGION: 'garage',
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: 'GK0123',
        S3_SECRET_ACCESS_KEY_FILE: file,
        S3_KEY_PREFIX: 'tenant-a/files/',
      }),
    );
    expect(config).toMatchObject({
      endpoint: 'http://s3:3900',
      region: 'garage',
      forcePathStyle: true,
      keyPrefix: 'tenant-a/files/',
      credentials: { accessKeyId: 'GK0123', secretAccessKey: 'super-secret' },
    });
  });

  it('names every problem', () => {
    expect(problemsOf({ S3_BUCKET: 'Bad_Bucket' })[0]).toMatch(/^S3_BUCKET: expected 3-63 lowercase/);
    expect(problemsOf({ S3_BUCKET: 'keelson', S3_ENDPOINT: 'http://s3:3900/keelson' })[0]).toMatch(
      /^S3_ENDPOINT: expected the server base URL/,
    );
    expect(problemsOf({ S3_BUCKET: 'keelson', S3_ACCESS_KEY_ID: 'GK0123' })).toEqual([
      expect.stringMatching(
        /^S3_SECRET_ACCESS_KEY: set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither/,
      ),
    ]);
    expect(problemsOf({ S3_ENDPOINT: 'http://s3:3900' })).toEqual([
      expect.stringMatching(/^S3_BUCKET: is required when S3_ENDPOINT or S3 credentials are set/),
    ]);
    expect(problemsOf({ S3_BUCKET: 'keelson', S3_KEY_PREFIX: '/documents' })[0]).toMatch(
      /^S3_KEY_PREFIX: expected path segments ending with a slash/,
    );
    expect(problemsOf({ S3_BUCKET: 'keelson', S3_FORCE_PATH_STYLE: 'yes' })[0]).toMatch(
      /^S3_FORCE_PATH_STYLE: expected true or false/,
    );
  });

  it('never echoes a secret', () => {
    const problems = problemsOf({
      S3_ACCESS_KEY_ID: '',
      S3_SECRET_ACCESS_KEY: 'leaked-value',
      S3_BUCKET: 'x',
    });
    expect(problems.join('\n')).not.toContain('leaked-value');
  });
});
