import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configProblems, database, http, int, parseEnv, redis, runtime, secret } from '../src/index.ts';

const schema = z.object({
  ...runtime,
  ...http,
  ...database,
  ...redis,
  API_KEY: secret(z.string().min(8)).optional(),
});
const valid = { DATABASE_URL: 'postgres://u:p@db:5432/app', REDIS_URL: 'redis://cache:6379' };

const problemsOf = (env: Record<string, string>) => configProblems(() => parseEnv(schema, env));

function secretFile(contents: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'config-test-')), 'secret');
  writeFileSync(path, contents);
  return path;
}

describe('parseEnv', () => {
  it('applies defaults and coerces numbers; an unset NODE_ENV means production', () => {
    const config = parseEnv(schema, valid);
    expect(config).toMatchObject({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      PORT: 3000,
      DATABASE_POOL_MAX: 10,
    });
    expect(parseEnv(schema, { ...valid, PORT: '8080' }).PORT).toBe(8080);
  });

  it('reports every problem at once, each naming its variable and why', () => {
    const problems = problemsOf({ PORT: 'eighty', DATABASE_POOL_MAX: '0', REDIS_URL: 'http://cache' });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'DATABASE_URL: is required but not set',
        'PORT: expected a number (got "eighty")',
        'DATABASE_POOL_MAX: must be at least 1 (got "0")',
        expect.stringMatching(
          /^REDIS_URL: expected a URL starting with redis:\/\/ or rediss:\/\/ \(got \(secret, not shown\)\)/,
        ),
      ]),
    );
  });

  it('formats one readable message for the operator', () => {
    expect(() => parseEnv(schema, {})).toThrowError(
      /Invalid configuration:\n {2}- DATABASE_URL: is required but not set\n {2}- REDIS_URL: is required but not set/,
    );
  });

  it('treats empty strings as unset', () => {
    expect(problemsOf({ ...valid, DATABASE_URL: '  ' })).toEqual(['DATABASE_URL: is required but not set']);
    expect(parseEnv(schema, { ...valid, PORT: '' }).PORT).toBe(3000);
  });

  it('reads a secret from NAME_FILE, without its trailing newline', () => {
    const path = secretFile('postgres://u:from-file@db/app\n');
    const config = parseEnv(schema, { REDIS_URL: valid.REDIS_URL, DATABASE_URL_FILE: path });
    expect(config.DATABASE_URL).toBe('postgres://u:from-file@db/app');
  });

  it('validates a value read from a file like any other', () => {
    const path = secretFile('short');
    expect(problemsOf({ ...valid, API_KEY_FILE: path })).toEqual([
      expect.stringMatching(/^API_KEY: .*\(got \(secret, not shown\)\)$/),
    ]);
  });

  it('refuses both NAME and NAME_FILE', () => {
    const path = secretFile('redis://other');
    expect(problemsOf({ ...valid, REDIS_URL_FILE: path })).toEqual([
      'REDIS_URL: both REDIS_URL and REDIS_URL_FILE are set; set only one',
    ]);
  });

  it('says when NAME_FILE cannot be read', () => {
    expect(problemsOf({ ...valid, DATABASE_URL: '', DATABASE_URL_FILE: '/nonexistent/secret' })).toEqual([
      'DATABASE_URL_FILE: cannot read /nonexistent/secret (ENOENT)',
    ]);
  });

  it('accepts NAME_FILE only for secrets', () => {
    expect(problemsOf({ ...valid, PORT_FILE: secretFile('80') })).toEqual([
      'PORT_FILE: PORT is not a secret; set PORT directly',
    ]);
  });

  it('never echoes a secret value in an error', () => {
    const problems = problemsOf({ ...valid, DATABASE_URL: 'mysql://user:hunter2@db/app' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('bounds integers', () => {
    const bounded = z.object({ N: int(1, 5) });
    expect(() => parseEnv(bounded, { N: '6' })).toThrowError(/N: must be at most 5/);
    expect(() => parseEnv(bounded, { N: '1.5' })).toThrowError(/N: expected a whole number/);
  });
});

describe('configProblems', () => {
  it('lists the problems of an invalid environment, none of a valid one, and rethrows anything else', () => {
    expect(configProblems(() => parseEnv(schema, valid))).toEqual([]);
    expect(configProblems(() => parseEnv(schema, {}))).toEqual([
      expect.stringMatching(/^DATABASE_URL: /),
      expect.stringMatching(/^REDIS_URL: /),
    ]);
    expect(() =>
      configProblems(() => {
        throw new TypeError('not a config problem');
      }),
    ).toThrow(TypeError);
  });
});
