import { configProblems } from '@repo/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

/** The api's listen address and its agent's address, as each platform configuration writes them. */

const required = {
  // An unset NODE_ENV is production: these cases are about addresses, not its secret rules.
  NODE_ENV: 'development',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:9/app',
  REDIS_URL: 'redis://127.0.0.1:9',
  SERVICE_AUTH_TOKEN: 's'.repeat(48),
};

const problemsOf = (env: Record<string, string | undefined>) => configProblems(() => loadConfig(env));

describe('the api config: HOST', () => {
  it('listens on every IPv4 interface by default, and on IPv6 and IPv4 with ::', () => {
    expect(loadConfig(required).HOST).toBe('0.0.0.0');
    expect(loadConfig({ ...required, HOST: '::' }).HOST).toBe('::');
    expect(loadConfig({ ...required, HOST: '127.0.0.1' }).HOST).toBe('127.0.0.1');
  });

  it('refuses a hostname, naming the IP literals it accepts', () => {
    expect(problemsOf({ ...required, HOST: 'localhost' })).toEqual([
      expect.stringMatching(
        /^HOST: expected an IP address to listen on: 0\.0\.0\.0 .*:: .*\(got "localhost"\)$/,
      ),
    ]);
  });
});

describe('the api config: AGENT_URL', () => {
  it('takes an http(s) URL as written', () => {
    expect(loadConfig({ ...required, AGENT_URL: 'http://agent:3002' }).AGENT_URL).toBe('http://agent:3002');
    expect(loadConfig({ ...required, AGENT_URL: 'https://agent.internal/' }).AGENT_URL).toBe(
      'https://agent.internal/',
    );
  });

  it("reads Render's scheme-less hostport as http://host:port", () => {
    expect(loadConfig({ ...required, AGENT_URL: 'keelson-agent-d4f1:3002' }).AGENT_URL).toBe(
      'http://keelson-agent-d4f1:3002',
    );
  });

  it('still requires SERVICE_AUTH_TOKEN with a host:port', () => {
    expect(
      problemsOf({ ...required, SERVICE_AUTH_TOKEN: undefined, AGENT_URL: 'keelson-agent-d4f1:3002' }),
    ).toEqual([expect.stringMatching(/^SERVICE_AUTH_TOKEN: is required because AGENT_URL is set/)]);
  });

  it('refuses anything else, naming both accepted forms', () => {
    for (const value of ['keelson-agent-d4f1', 'ftp://agent:3002', 'agent:3002/v1']) {
      expect(problemsOf({ ...required, AGENT_URL: value }), value).toEqual([
        `AGENT_URL: expected an http:// or https:// URL, or host:port (read as http://host:port) (got ${JSON.stringify(value)})`,
      ]);
    }
  });
});

describe('the api config: HTTP timeouts', () => {
  it('refuses an idle timeout a JSON turn could reach, naming both settings', () => {
    expect(problemsOf({ ...required, HTTP_IDLE_TIMEOUT_MS: '120000' })).toEqual([
      expect.stringMatching(/^HTTP_IDLE_TIMEOUT_MS: must be longer than AGENT_TIMEOUT_MS/),
    ]);
    expect(problemsOf({ ...required, HTTP_IDLE_TIMEOUT_MS: '60000', AGENT_TIMEOUT_MS: '30000' })).toEqual([]);
    expect(problemsOf({ ...required, HTTP_REQUEST_TIMEOUT_MS: '10' })).toEqual([
      expect.stringMatching(/^HTTP_REQUEST_TIMEOUT_MS: must be at least 1000/),
    ]);
  });
});

describe('the api config: METRICS_PORT', () => {
  it('serves metrics on 9464 by default, and refuses the public port', () => {
    expect(loadConfig(required).METRICS_PORT).toBe(9464);
    expect(problemsOf({ ...required, PORT: '9000', METRICS_PORT: '9000' })).toEqual([
      expect.stringMatching(/^METRICS_PORT: must differ from PORT/),
    ]);
  });
});

describe('the api config: the embedding model', () => {
  it('is off when unset, and read with its server when set', () => {
    expect(loadConfig(required).EMBEDDING_MODEL).toBeUndefined();
    const config = loadConfig({
      ...required,
      EMBEDDING_MODEL: 'text-embedding-3-small',
      EMBEDDING_BASE_URL: 'https://api.openai.com/v1',
    });
    expect(config).toMatchObject({ EMBEDDING_MODEL: 'text-embedding-3-small', EMBEDDING_TIMEOUT_MS: 10_000 });
  });

  it('refuses to start with a model and no server, naming the variable', () => {
    expect(problemsOf({ ...required, EMBEDDING_MODEL: 'text-embedding-3-small' })).toEqual([
      expect.stringMatching(/^EMBEDDING_BASE_URL: is required because EMBEDDING_MODEL is set/),
    ]);
  });
});

describe("the api config: the agent's run quotas (shown by GET /v1/quotas)", () => {
  it("defaults to the agent's defaults, and takes the values the agent is given", () => {
    expect(loadConfig(required)).toMatchObject({
      QUOTA_MONTHLY_TOKENS: 100_000_000,
      QUOTA_CONCURRENT_RUNS: 20,
    });
    expect(
      loadConfig({ ...required, QUOTA_MONTHLY_TOKENS: '5000', QUOTA_CONCURRENT_RUNS: '3' }),
    ).toMatchObject({
      QUOTA_MONTHLY_TOKENS: 5_000,
      QUOTA_CONCURRENT_RUNS: 3,
    });
  });

  it('refuses what the agent refuses, naming the variable and why', () => {
    expect(problemsOf({ ...required, QUOTA_CONCURRENT_RUNS: '-1' })).toEqual([
      expect.stringContaining('QUOTA_CONCURRENT_RUNS: must be at least 1'),
    ]);
    expect(problemsOf({ ...required, QUOTA_MONTHLY_TOKENS: 'lots' })).toEqual([
      expect.stringContaining('QUOTA_MONTHLY_TOKENS: expected a number'),
    ]);
  });
});
