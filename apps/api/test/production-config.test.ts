import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError, DEVELOPMENT_API_KEY_PEPPER, DEVELOPMENT_SERVICE_TOKEN } from '@repo/config';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET, loadConfig, signingSecret } from '../src/config.ts';

const run = promisify(execFile);

const strong = 'p'.repeat(48);
/** A production environment that starts: everything below breaks exactly one rule of it. */
const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:9/app',
  REDIS_URL: 'redis://127.0.0.1:9',
  JWT_SECRET: strong,
  SERVICE_AUTH_TOKEN: 's'.repeat(48),
  API_KEY_PEPPER: 'k'.repeat(48),
  CORS_ORIGINS: 'https://app.example.com',
};

/** Starts the real entry point with `env`; it must exit 1 before opening any connection. */
async function start(env: Record<string, string | undefined>) {
  try {
    await run(process.execPath, ['--conditions=@repo/source', 'src/main.ts'], {
      cwd: new URL('..', import.meta.url),
      env: Object.fromEntries(
        Object.entries({ PATH: process.env.PATH, ...env }).filter(([, value]) => value !== undefined),
      ),
      timeout: 20_000,
    });
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
  throw new Error('the api started; it should have refused');
}

describe('production start-up refuses an insecure configuration, saying which and why', () => {
  it('accepts the sound production configuration these cases are derived from', () => {
    expect(loadConfig(production)).toMatchObject({
      NODE_ENV: 'production',
      CORS_ORIGINS: ['https://app.example.com'],
    });
  });

  const rules: [string, Record<string, string | undefined>, RegExp][] = [
    ['a missing API_KEY_PEPPER', { API_KEY_PEPPER: undefined }, /API_KEY_PEPPER: is required in production/],
    [
      'the development API_KEY_PEPPER',
      { API_KEY_PEPPER: DEVELOPMENT_API_KEY_PEPPER },
      /API_KEY_PEPPER: is a published default value/,
    ],
    [
      'a short API_KEY_PEPPER',
      { API_KEY_PEPPER: 'x'.repeat(31) },
      /API_KEY_PEPPER: is 31 bytes; production requires at least 32/,
    ],
    [
      'an API_KEY_PEPPER equal to JWT_SECRET',
      { API_KEY_PEPPER: strong },
      /API_KEY_PEPPER: must differ from JWT_SECRET/,
    ],
    [
      'a missing JWT_SECRET',
      { JWT_SECRET: undefined },
      /JWT_SECRET: is required in production \(or set JWT_JWKS_URL\)/,
    ],
    [
      'the default JWT_SECRET',
      { JWT_SECRET: DEVELOPMENT_JWT_SECRET },
      /JWT_SECRET: is a published default value/,
    ],
    [
      'a short JWT_SECRET',
      { JWT_SECRET: 'x'.repeat(31) },
      /JWT_SECRET: is 31 bytes; production requires at least 32/,
    ],
    [
      'a short SERVICE_AUTH_TOKEN',
      { SERVICE_AUTH_TOKEN: 'token' },
      /SERVICE_AUTH_TOKEN: is 5 bytes; production requires at least 32/,
    ],
    [
      'a SERVICE_AUTH_TOKEN equal to JWT_SECRET',
      { SERVICE_AUTH_TOKEN: strong },
      /SERVICE_AUTH_TOKEN: must differ from JWT_SECRET/,
    ],
    [
      'the development service token (compose.yaml, the agent)',
      { SERVICE_AUTH_TOKEN: DEVELOPMENT_SERVICE_TOKEN },
      /SERVICE_AUTH_TOKEN: is a published default value/,
    ],
    [
      'the development database password',
      { DATABASE_URL: 'postgres://keelson:keelson@127.0.0.1:9/keelson' },
      /DATABASE_URL: carries a password published in this repository/,
    ],
    [
      'a JWKS without JWT_AUDIENCE (a token for any application of the provider would do)',
      {
        JWT_SECRET: undefined,
        JWT_JWKS_URL: 'https://idp.example.com/jwks.json',
        JWT_ISSUER: 'https://idp.example.com/',
      },
      /JWT_AUDIENCE: is required in production with JWT_JWKS_URL/,
    ],
    [
      'a JWKS without JWT_ISSUER',
      { JWT_SECRET: undefined, JWT_JWKS_URL: 'https://idp.example.com/jwks.json', JWT_AUDIENCE: 'keelson' },
      /JWT_ISSUER: is required in production with JWT_JWKS_URL/,
    ],
    [
      'a wildcard CORS origin',
      { CORS_ORIGINS: 'https://app.example.com,*' },
      /CORS_ORIGINS: must not contain "\*" in production/,
    ],
    [
      'a JWKS URL over plain http',
      { JWT_SECRET: undefined, JWT_JWKS_URL: 'http://idp.example.com/jwks.json' },
      /JWT_JWKS_URL: must use https in production/,
    ],
  ];

  describe.concurrent('one rule at a time', () => {
    it.each(rules)('refuses %s', async (_rule, change, message) => {
      const env = Object.fromEntries(
        Object.entries({ ...production, ...change }).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        ),
      );
      const { code, stderr } = await start(env);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^api: refusing to start\./);
      expect(stderr).toMatch(message);
      // Secrets are never echoed back.
      for (const value of [change.JWT_SECRET, change.SERVICE_AUTH_TOKEN, change.API_KEY_PEPPER]) {
        if (value) expect(stderr).not.toContain(value);
      }

      // The same environment is fine outside production (the checks are production's only).
      expect(() => loadConfig({ ...env, NODE_ENV: 'development' })).not.toThrow();
      expect(() => loadConfig(env)).toThrowError(ConfigError);
    });
  });
});

describe('an unset NODE_ENV is production: the public development secret is an explicit opt-in', () => {
  const withoutSecret = Object.fromEntries(
    Object.entries(production).filter(([name]) => name !== 'NODE_ENV' && name !== 'JWT_SECRET'),
  );

  it('refuses to start without NODE_ENV and without JWT_SECRET, naming the variable and why', async () => {
    const { code, stderr } = await start(withoutSecret);
    expect(code).toBe(1);
    expect(stderr).toMatch(/JWT_SECRET: is required in production .*An unset NODE_ENV means production/);
    // The published values are refused as in production.
    const published = await start({ ...withoutSecret, JWT_SECRET: DEVELOPMENT_JWT_SECRET });
    expect(published.stderr).toMatch(/JWT_SECRET: is a published default value.*NODE_ENV is unset/);
  });

  it('refuses NODE_ENV=test without a secret of its own', () => {
    expect(() => loadConfig({ ...withoutSecret, NODE_ENV: 'test' })).toThrowError(
      /JWT_SECRET: is required unless NODE_ENV=development/,
    );
  });

  it('signs with the development secret only with NODE_ENV=development', () => {
    const development = loadConfig({ ...withoutSecret, NODE_ENV: 'development' });
    expect(signingSecret(development)).toBe(DEVELOPMENT_JWT_SECRET);
    expect(signingSecret({ ...development, NODE_ENV: 'test' })).toBeUndefined();
    expect(signingSecret({ ...development, NODE_ENV: 'production' })).toBeUndefined();
  });
});

describe('the agent service settings', () => {
  const development = {
    NODE_ENV: 'development',
    DATABASE_URL: production.DATABASE_URL,
    REDIS_URL: production.REDIS_URL,
  };

  it('refuses AGENT_URL without SERVICE_AUTH_TOKEN in every environment, naming both', async () => {
    const { code, stderr } = await start({ ...development, AGENT_URL: 'http://agent:3002' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/SERVICE_AUTH_TOKEN: is required because AGENT_URL is set/);
  });

  it('takes an http(s) AGENT_URL and a bounded AGENT_TIMEOUT_MS, defaulting to 120 s', () => {
    const agent = { ...development, SERVICE_AUTH_TOKEN: 's'.repeat(48), AGENT_URL: 'http://agent:3002' };
    expect(loadConfig(agent)).toMatchObject({ AGENT_URL: 'http://agent:3002', AGENT_TIMEOUT_MS: 120_000 });
    expect(loadConfig(development).AGENT_URL).toBeUndefined();
    // A scheme-less host:port is Render's `hostport` (test/config.test.ts); a bare name is not enough.
    expect(loadConfig({ ...agent, AGENT_URL: 'agent:3002' }).AGENT_URL).toBe('http://agent:3002');
    expect(() => loadConfig({ ...agent, AGENT_URL: 'agent' })).toThrowError(/AGENT_URL: expected an http/);
    expect(() => loadConfig({ ...agent, AGENT_TIMEOUT_MS: '10' })).toThrowError(
      /AGENT_TIMEOUT_MS: must be at least 100/,
    );
  });
});
