import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configProblems, DEVELOPMENT_SERVICE_TOKEN } from '@repo/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

/** The agent's listen address and the api's MCP endpoint, as each platform configuration writes them. */

const required = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:9/app',
  REDIS_URL: 'redis://127.0.0.1:9',
  SERVICE_AUTH_TOKEN: 's'.repeat(48),
};

const problemsOf = (env: Record<string, string | undefined>) => configProblems(() => loadConfig(env));

describe('the agent config: HOST', () => {
  it('listens on every IPv4 interface by default, and on IPv6 and IPv4 with ::', () => {
    expect(loadConfig(required)).toMatchObject({ HOST: '0.0.0.0', PORT: 3002 });
    expect(loadConfig({ ...required, HOST: '::' }).HOST).toBe('::');
  });

  it('refuses a hostname or an address with a port, naming the IP literals it accepts', () => {
    for (const host of ['agent', '[::]:3002']) {
      expect(problemsOf({ ...required, HOST: host }), host).toEqual([
        expect.stringMatching(/^HOST: expected an IP address to listen on: 0\.0\.0\.0 .*:: /),
      ]);
    }
  });
});

describe('the agent config: API_MCP_URL', () => {
  it('is unset by default: no stack tools', () => {
    expect(loadConfig(required).API_MCP_URL).toBeUndefined();
  });

  it('takes an http(s) URL as written, with its own path', () => {
    expect(loadConfig({ ...required, API_MCP_URL: 'http://lb:8080/mcp' }).API_MCP_URL).toBe(
      'http://lb:8080/mcp',
    );
    expect(loadConfig({ ...required, API_MCP_URL: 'https://api.example.com/tools/mcp' }).API_MCP_URL).toBe(
      'https://api.example.com/tools/mcp',
    );
  });

  it("reads Render's scheme-less hostport as the api's MCP endpoint, http://host:port/mcp", () => {
    expect(loadConfig({ ...required, API_MCP_URL: 'keelson-api-a1b2:3000' }).API_MCP_URL).toBe(
      'http://keelson-api-a1b2:3000/mcp',
    );
  });

  it('refuses anything else, naming both accepted forms', () => {
    for (const value of ['keelson-api-a1b2', 'ws://api:3000/mcp', 'api:3000/mcp']) {
      expect(problemsOf({ ...required, API_MCP_URL: value }), value).toEqual([
        `API_MCP_URL: expected an http:// or https:// URL, or host:port (read as http://host:port/mcp) (got ${JSON.stringify(value)})`,
      ]);
    }
  });
});

describe('the agent config: SERVICE_AUTH_TOKEN', () => {
  it('refuses the published development token in production, and with NODE_ENV unset', () => {
    for (const NODE_ENV of ['production', undefined]) {
      expect(problemsOf({ ...required, NODE_ENV, SERVICE_AUTH_TOKEN: DEVELOPMENT_SERVICE_TOKEN })).toEqual([
        expect.stringMatching(/^SERVICE_AUTH_TOKEN: is a published default value/),
      ]);
    }
    expect(problemsOf({ ...required, NODE_ENV: 'production', SERVICE_AUTH_TOKEN: 'short' })).toEqual([
      expect.stringMatching(/^SERVICE_AUTH_TOKEN: is 5 bytes; production requires at least 32/),
    ]);
  });

  it('accepts it with NODE_ENV=development (compose) or test', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(problemsOf({ ...required, NODE_ENV, SERVICE_AUTH_TOKEN: DEVELOPMENT_SERVICE_TOKEN })).toEqual(
        [],
      );
    }
  });
});

describe('the agent config: AGENT_MCP_SERVERS (it can hold auth headers)', () => {
  const servers = (authorization: string, url = 'http://weather:8000/mcp') =>
    JSON.stringify([{ name: 'weather', url, headers: { authorization } }]);

  it('never prints the value in a configuration error', () => {
    const secretHeader = 'Bearer weather-credential-0123456789';
    for (const value of [servers(secretHeader, 'not a url'), `${servers(secretHeader)} trailing`]) {
      const problems = problemsOf({ ...required, AGENT_MCP_SERVERS: value });
      expect(problems).toEqual([expect.stringMatching(/^AGENT_MCP_SERVERS: /)]);
      expect(problems.join('\n')).not.toContain('weather-credential');
    }
  });

  it('is read from AGENT_MCP_SERVERS_FILE, as a secret', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agent-config-')), 'mcp-servers.json');
    writeFileSync(path, `${servers('Bearer from-a-file')}\n`);
    expect(loadConfig({ ...required, AGENT_MCP_SERVERS_FILE: path }).AGENT_MCP_SERVERS).toEqual([
      {
        name: 'weather',
        url: 'http://weather:8000/mcp',
        headers: { authorization: 'Bearer from-a-file' },
        requireApproval: false,
      },
    ]);
  });

  it('takes requireApproval as true, false or a list of tool names, and refuses anything else', () => {
    const withRule = (rule: unknown) =>
      JSON.stringify([{ name: 'weather', url: 'http://weather:8000/mcp', requireApproval: rule }]);
    expect(loadConfig({ ...required, AGENT_MCP_SERVERS: withRule(['forecast']) }).AGENT_MCP_SERVERS).toEqual([
      expect.objectContaining({ requireApproval: ['forecast'] }),
    ]);
    expect(loadConfig({ ...required, AGENT_MCP_SERVERS: withRule(true) }).AGENT_MCP_SERVERS).toEqual([
      expect.objectContaining({ requireApproval: true }),
    ]);
    for (const bad of ['yes', [], [''], 1]) {
      expect(problemsOf({ ...required, AGENT_MCP_SERVERS: withRule(bad) })).toEqual([
        expect.stringMatching(/^AGENT_MCP_SERVERS: /),
      ]);
    }
  });
});

describe('the agent config: tool approval', () => {
  it('defaults to approval of the api write tools, expiring after an hour, and validates both', () => {
    expect(loadConfig(required)).toMatchObject({
      API_MCP_REQUIRE_APPROVAL: 'writes',
      RUN_APPROVAL_TIMEOUT_MS: 3_600_000,
    });
    expect(problemsOf({ ...required, API_MCP_REQUIRE_APPROVAL: 'some' })).toEqual([
      expect.stringMatching(/^API_MCP_REQUIRE_APPROVAL: /),
    ]);
    expect(problemsOf({ ...required, RUN_APPROVAL_TIMEOUT_MS: '10' })).toEqual([
      expect.stringMatching(/^RUN_APPROVAL_TIMEOUT_MS: /),
    ]);
  });
});

describe('the agent config: HTTP timeouts', () => {
  it('refuses an idle timeout a model step could reach', () => {
    expect(problemsOf({ ...required, HTTP_IDLE_TIMEOUT_MS: '60000' })).toEqual([
      expect.stringMatching(/^HTTP_IDLE_TIMEOUT_MS: must be longer than AGENT_MODEL_TIMEOUT_MS/),
    ]);
    expect(loadConfig(required)).toMatchObject({
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_IDLE_TIMEOUT_MS: 600_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
    });
  });
});

describe('the agent config: run quotas', () => {
  it('defaults to 100 million tokens a month and 20 runs at once', () => {
    expect(loadConfig(required)).toMatchObject({
      QUOTA_MONTHLY_TOKENS: 100_000_000,
      QUOTA_CONCURRENT_RUNS: 20,
    });
  });

  it('refuses a negative, zero, fractional or non-numeric limit, naming the variable and why', () => {
    const cases: [Record<string, string>, string][] = [
      [{ QUOTA_CONCURRENT_RUNS: '-1' }, 'QUOTA_CONCURRENT_RUNS: must be at least 1'],
      [{ QUOTA_CONCURRENT_RUNS: '0' }, 'QUOTA_CONCURRENT_RUNS: must be at least 1'],
      [{ QUOTA_CONCURRENT_RUNS: 'twenty' }, 'QUOTA_CONCURRENT_RUNS: expected a number'],
      [{ QUOTA_CONCURRENT_RUNS: '2.5' }, 'QUOTA_CONCURRENT_RUNS: expected a whole number'],
      [{ QUOTA_MONTHLY_TOKENS: '-5000' }, 'QUOTA_MONTHLY_TOKENS: must be at least 1000'],
      [{ QUOTA_MONTHLY_TOKENS: '1e6x' }, 'QUOTA_MONTHLY_TOKENS: expected a number'],
    ];
    for (const [env, problem] of cases) {
      expect(problemsOf({ ...required, ...env }), JSON.stringify(env)).toEqual([
        expect.stringContaining(problem),
      ]);
    }
  });
});
