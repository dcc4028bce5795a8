import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configProblems, listen, parseEnv, serviceUrl } from '../src/index.ts';

const schema = z.object({
  ...listen,
  AGENT_URL: serviceUrl().optional(),
  API_MCP_URL: serviceUrl({ path: '/mcp' }).optional(),
});

const parse = (env: Record<string, string>) => parseEnv(schema, env);

const problemsOf = (env: Record<string, string>) => configProblems(() => parse(env));

describe('HOST (listen)', () => {
  it('listens on every IPv4 interface unless told otherwise', () => {
    expect(parse({}).HOST).toBe('0.0.0.0');
  });

  it('accepts IPv4 and IPv6 literals, `::` among them', () => {
    for (const host of ['::', '0.0.0.0', '127.0.0.1', '::1', 'fd12:3456::7', '::ffff:10.0.0.1']) {
      expect(parse({ HOST: host }).HOST, host).toBe(host);
    }
  });

  it('refuses a hostname, a bracketed IPv6 and an address with a port, saying what it expects', () => {
    for (const host of ['localhost', '[::]', '0.0.0.0:3000', '256.0.0.1', 'all']) {
      expect(problemsOf({ HOST: host }), host).toEqual([
        `HOST: expected an IP address to listen on: 0.0.0.0 (every IPv4 interface), :: (every IPv6 and IPv4 interface) or one interface address (got ${JSON.stringify(host)})`,
      ]);
    }
  });
});

describe('serviceUrl', () => {
  it('takes an http:// or https:// URL as written, path and all', () => {
    expect(parse({ AGENT_URL: 'http://agent:3002' }).AGENT_URL).toBe('http://agent:3002');
    expect(parse({ AGENT_URL: 'https://agent.example.com/base/' }).AGENT_URL).toBe(
      'https://agent.example.com/base/',
    );
    // A full URL is never given the default path: the operator wrote the path they meant.
    expect(parse({ API_MCP_URL: 'http://lb:8080/mcp' }).API_MCP_URL).toBe('http://lb:8080/mcp');
    expect(parse({ API_MCP_URL: 'http://api:3000/other' }).API_MCP_URL).toBe('http://api:3000/other');
  });

  it("reads a scheme-less host:port (Render's `hostport`) as http://host:port plus the path", () => {
    expect(parse({ AGENT_URL: 'keelson-agent-d4f1:3002' }).AGENT_URL).toBe('http://keelson-agent-d4f1:3002');
    expect(parse({ API_MCP_URL: 'keelson-api-a1b2:3000' }).API_MCP_URL).toBe(
      'http://keelson-api-a1b2:3000/mcp',
    );
    expect(parse({ AGENT_URL: 'agent.railway.internal:3002' }).AGENT_URL).toBe(
      'http://agent.railway.internal:3002',
    );
    expect(parse({ AGENT_URL: '10.0.4.7:3002' }).AGENT_URL).toBe('http://10.0.4.7:3002');
    expect(parse({ AGENT_URL: '[fd12::7]:3002' }).AGENT_URL).toBe('http://[fd12::7]:3002');
    expect(parse({ AGENT_URL: 'localhost:65535' }).AGENT_URL).toBe('http://localhost:65535');
    // The result is a URL Node's fetch accepts, with the port kept.
    expect(new URL(parse({ AGENT_URL: 'keelson-agent-d4f1:3002' }).AGENT_URL!).port).toBe('3002');
  });

  it('refuses anything else with one message naming both accepted forms', () => {
    const agent = 'expected an http:// or https:// URL, or host:port (read as http://host:port)';
    const mcp = 'expected an http:// or https:// URL, or host:port (read as http://host:port/mcp)';
    for (const value of [
      'keelson-agent', // no port
      'keelson-agent:', // empty port
      'keelson-agent:0',
      'keelson-agent:65536',
      'keelson-agent:http',
      'keelson-agent:3002/path', // a path needs the URL form
      'fd12::7:3002', // an IPv6 literal needs brackets
      '[fd12::zz]:3002',
      '999.1.1.1:3002',
      '-agent:3002',
      'user@agent:3002',
      'ftp://agent:3002',
      'redis://agent:6379',
      'http://',
      'http:/agent:3002',
      '//agent:3002',
    ]) {
      expect(problemsOf({ AGENT_URL: value }), value).toEqual([
        `AGENT_URL: ${agent} (got ${JSON.stringify(value)})`,
      ]);
    }
    expect(problemsOf({ API_MCP_URL: 'keelson-api' })).toEqual([`API_MCP_URL: ${mcp} (got "keelson-api")`]);
  });

  it('reports a bad HOST and a bad URL together', () => {
    expect(problemsOf({ HOST: 'localhost', AGENT_URL: 'agent' })).toHaveLength(2);
  });
});
