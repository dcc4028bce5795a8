import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configFacts, loaderOf, placeholders, type AppName } from '../src/apps.ts';
import { DEPLOYMENT_DOC, section, SECTION_TITLES } from '../src/deployment-doc.ts';
import { read } from '../src/repository.ts';

/**
 * deployment.md's "Any Docker host" section against what it describes: the prod profile of
 * compose.yaml, scripts/create-secrets.sh and docker/lb/haproxy.cfg.
 */

interface ComposeService {
  profiles?: string[];
  environment?: Record<string, string | number>;
  secrets?: string[];
  ports?: string[];
  networks?: { default?: { aliases?: string[] }; ingress?: { ipv4_address?: string } };
  deploy?: { replicas?: number };
  stop_grace_period?: string;
  command?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
}

// Merge keys (`<<: *prod-app`) are how compose.yaml shares settings; YAML 1.2 needs them asked for.
const compose = parse(read('compose.yaml'), { merge: true }) as Compose;
const prod = Object.fromEntries(
  Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('prod')),
);
const doc = section(SECTION_TITLES.docker, read(DEPLOYMENT_DOC))!;
const haproxy = read('docker/lb/haproxy.cfg');

const APPS: Record<string, AppName> = {
  'api-prod': 'api',
  'task-runner-prod': 'task-runner',
  'agent-prod': 'agent',
};

/** The app's config with only what it requires set: its defaults (ports, budgets). */
async function defaults(app: AppName) {
  return (await loaderOf(app))(placeholders((await configFacts(app)).required));
}

describe('deployment.md, "Any Docker host"', () => {
  it('starts the prod profile, with the secrets script, and names every service of the profile', () => {
    // The commands, in order: the secrets first (the prod services mount their files).
    const commands = /```sh\n([^`]*)```/.exec(doc)?.[1] ?? '';
    expect(commands).toMatch(/^scripts\/create-secrets\.sh\b/m);
    expect(commands.indexOf('scripts/create-secrets.sh')).toBeLessThan(
      commands.indexOf('docker compose --profile prod up -d --wait'),
    );
    expect(doc).toMatch(/--profile monitoring/);
    const rows = [...doc.matchAll(/^\| `([a-z0-9-]+)`\s*\|/gm)].map((match) => match[1]);
    expect(new Set(rows)).toEqual(new Set(Object.keys(prod)));
  });

  it('states the replicas and the published ports as compose.yaml has them', () => {
    const replicas = Number(/`api-prod`[^\n]*\*\*(\d+) replicas\*\*/.exec(doc)?.[1]);
    expect(prod['api-prod']!.deploy?.replicas).toBe(replicas);
    expect(prod['task-runner-prod']!.deploy?.replicas).toBe(1);
    // Only the load balancer publishes anything, on loopback: the api port to its 8080.
    for (const [name, service] of Object.entries(prod)) {
      if (name === 'lb') continue;
      expect(service.ports, name).toBeUndefined();
    }
    expect(prod.lb!.ports).toContain('127.0.0.1:${API_PORT:-3000}:8080');
    expect(doc).toMatch(/`127\.0\.0\.1:3000` \(`API_PORT`\) → 8080/);
    expect(haproxy).toMatch(/^\s*bind :8080$/m);
  });

  it('lists the secrets the script writes, which are the ones compose mounts from SECRETS_DIR', () => {
    const written = [...read('scripts/create-secrets.sh').matchAll(/^write ([a-z-]+) /gm)].map((m) => m[1]!);
    // Every file the script writes is mounted somewhere (redis-password by Redis's healthcheck).
    expect(new Set(Object.keys(compose.secrets))).toEqual(new Set(written));
    for (const [name, { file }] of Object.entries(compose.secrets)) {
      expect(file).toBe(`\${SECRETS_DIR:-./secrets}/${name}`);
    }
    for (const name of written) expect(doc, name).toContain(`\`${name}\``);
    expect(doc).toContain('SECRETS_DIR');
    // The variables the page says the apps read them as are the ones compose sets.
    for (const app of Object.keys(APPS)) {
      for (const variable of Object.keys(prod[app]!.environment ?? {}).filter((v) => v.endsWith('_FILE')))
        expect(doc, `${app} ${variable}`).toContain(`\`${variable}\``);
    }
  });

  it('states the address the api trusts, the roles and the Redis users as compose.yaml sets them', () => {
    const lb = prod.lb!.networks!.ingress!.ipv4_address!;
    const defaultPrefix = /^\$\{LB_NETWORK_PREFIX:-([\d.]+)\}\.(\d+)$/.exec(lb)!;
    const address = `${defaultPrefix[1]}.${defaultPrefix[2]}`;
    expect(prod['api-prod']!.environment?.TRUST_PROXY).toBe(lb);
    expect(doc).toContain(`\`TRUST_PROXY\` is \`lb\`'s fixed address, \`${address}\``);
    expect(doc).toContain('LB_NETWORK_PREFIX');
    // The migrations run as the owner in the task-runner only; the roles are the init script's.
    expect(prod['task-runner-prod']!.environment?.MIGRATION_DATABASE_URL_FILE).toBe(
      '/run/secrets/migration-database-url',
    );
    const roles = read('docker/postgres/initdb/10-roles.sh');
    for (const role of ['keelson_owner', 'keelson_app']) {
      expect(roles).toContain(`CREATE ROLE ${role}`);
      expect(doc).toContain(`\`${role}\``);
    }
    expect(doc).toContain('docker/postgres/initdb/10-roles.sh');
    // Redis reads its users from the file the script writes.
    const command = prod['redis-prod']!.command!;
    expect(command[command.indexOf('--aclfile') + 1]).toBe('/run/secrets/redis-acl');
    expect(doc).toContain('`--aclfile`');
  });

  it('states the load balancer’s timeouts and the routes it replays as haproxy.cfg has them', () => {
    const timeout = (name: string) =>
      Number(new RegExp(`^\\s*timeout ${name} (\\d+)s$`, 'm').exec(haproxy)?.[1]);
    for (const name of ['http-request', 'client', 'server']) {
      expect(doc, name).toMatch(
        new RegExp(`${timeout(name)} s[^.]*\`timeout ${name}\`|\`timeout ${name}\` ${timeout(name)} s`),
      );
    }
    expect(haproxy).toMatch(/^\s*option http-buffer-request$/m);
    // The routes that honour Idempotency-Key, as the page names them and the config matches them.
    const exact = /acl honours_idempotency_key path (.+)$/m.exec(haproxy)![1]!.split(' ');
    const pattern = /acl honours_idempotency_key path_reg (.+)$/m.exec(haproxy)![1]!;
    expect(exact.sort()).toEqual(['/v1/documents', '/v1/tasks']);
    expect(new RegExp(pattern).test('/v1/conversations/0b7d0a4e-8f0c-4e54-9a4c-3f1e7c1e9a11/messages')).toBe(
      true,
    );
    for (const route of [...exact, '/v1/conversations/{id}/messages'])
      expect(doc, route).toContain(`\`${route}\``);
  });

  it('wires the agent and the MCP endpoint on the project network, with one service token file', async () => {
    const agentPort = (await defaults('agent')).PORT as number;
    const apiPort = (await defaults('api')).PORT as number;
    expect(prod['agent-prod']!.networks?.default?.aliases).toContain('agent');
    for (const caller of ['api-prod', 'task-runner-prod']) {
      expect(prod[caller]!.environment?.AGENT_URL, caller).toBe(`http://agent:${agentPort}`);
    }
    // The agent calls the api through the load balancer, which forwards to the api replicas.
    expect(prod['agent-prod']!.environment?.API_MCP_URL).toBe('http://lb:8080/mcp');
    expect(haproxy).toMatch(new RegExp(`server-template api \\d+ api:${apiPort} check`));
    expect(prod['api-prod']!.networks?.default?.aliases).toContain('api');
    for (const name of Object.keys(APPS)) {
      expect(prod[name]!.environment?.SERVICE_AUTH_TOKEN_FILE, name).toBe('/run/secrets/service-auth-token');
      expect(prod[name]!.secrets, name).toContain('service-auth-token');
    }
    expect(doc).toContain(`AGENT_URL=http://agent:${agentPort}`);
    expect(doc).toContain('API_MCP_URL=http://lb:8080/mcp');
  });

  it('gives each app a stop_grace_period above its budget, as the page says', async () => {
    const stated = /`stop_grace_period` api (\d+) s, task-runner (\d+) s, agent (\d+) s/.exec(doc);
    expect(stated).not.toBeNull();
    const graces: Record<AppName, number> = {
      api: Number(stated![1]),
      'task-runner': Number(stated![2]),
      agent: Number(stated![3]),
    };
    for (const [name, app] of Object.entries(APPS)) {
      const grace = prod[name]!.stop_grace_period;
      expect(grace, name).toBe(`${graces[app]}s`);
      const budgetMs = (await defaults(app)).SHUTDOWN_TIMEOUT_MS as number;
      expect(graces[app] * 1000, name).toBeGreaterThan(budgetMs);
    }
  });
});
