import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docker, REPO_ROOT } from '../src/compose.ts';
import { PROD_APPS, shutdownBudgetMs } from '../src/prod-stack.ts';

/**
 * compose.yaml as compose itself resolves it (anchors merged, profiles applied, the monitoring
 * file included), per profile combination. Static and fast: the other files run the stacks.
 */
interface Service {
  image?: string;
  profiles?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  restart?: string;
  stop_grace_period?: string;
  logging?: { driver: string; options?: Record<string, string> };
  deploy?: {
    replicas?: number;
    resources?: { limits?: { cpus?: number | string; memory?: string; pids?: number } };
  };
  environment?: Record<string, string | null>;
  ports?: { host_ip?: string; published?: string; target: number }[];
  secrets?: { source: string }[];
  depends_on?: Record<string, { condition: string; required: boolean }>;
  networks?: Record<string, { aliases?: string[]; ipv4_address?: string } | null>;
  command?: string[];
  develop?: unknown;
  user?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  build?: { context: string; dockerfile?: string };
  tmpfs?: string[];
  volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
}
interface Config {
  services: Record<string, Service>;
  secrets?: Record<string, { file: string }>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string; ip_range?: string }[] } }>;
}

async function resolved(...args: string[]): Promise<Config> {
  return resolvedWith({}, ...args);
}

/** As compose resolves it with these interpolation variables (and none of the caller's). */
async function resolvedWith(variables: Record<string, string>, ...args: string[]): Promise<Config> {
  const out = await docker(
    ['compose', '--project-directory', REPO_ROOT, ...args, 'config', '--format', 'json'],
    {
      cwd: REPO_ROOT,
      // Without the caller's compose settings and interpolation variables: the defaults are under test.
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(
            ([name]) =>
              !/^(COMPOSE_|AGENT_MODEL$|OPENAI_|OLLAMA_|SECRETS_DIR$|LB_NETWORK_PREFIX$)|_PORT$/.test(name),
          ),
        ),
        ...variables,
      },
    },
  );
  return JSON.parse(out) as Config;
}

const names = (config: Config) => Object.keys(config.services).sort();
const seconds = (duration: string) => {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration)!;
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
};
const MONITORING = ['alert-sink', 'alertmanager', 'grafana', 'loki', 'otel-collector', 'prometheus', 'tempo'];

describe('compose.yaml', () => {
  it('is the dev profile by default (the committed .env)', async () => {
    expect(names(await resolved())).toEqual([
      'agent',
      'api',
      'postgres',
      'redis',
      's3',
      'task-runner',
      'web',
    ]);
  });

  it('scales the task-runner with --scale in dev and prod: no fixed name, a port range or none', async () => {
    const dev = (await resolved()).services['task-runner']!;
    // One host port per replica: `--scale task-runner=3` takes 3001, 3002, 3003.
    expect(dev.ports?.map((port) => port.published)).toEqual(['3001-3009']);
    const prod = (await resolved('--profile', 'prod')).services['task-runner-prod']!;
    expect(prod.ports ?? []).toEqual([]);
    for (const service of [dev, prod]) expect(service).not.toHaveProperty('container_name');
  });

  it('runs dev from bind-mounted sources in watch mode, every port on loopback', async () => {
    const config = await resolved();
    for (const app of ['api', 'task-runner', 'agent']) {
      const service = config.services[app]!;
      expect(service.image, app).toBe(`keelson/${app}:dev`);
      const mounts = (service.volumes ?? []).filter((v) => v.type === 'bind');
      expect(
        mounts.map((m) => m.target),
        app,
      ).toContain(`/repo/apps/${app}/src`);
      expect(
        mounts.every((m) => m.read_only),
        app,
      ).toBe(true);
      expect(service.environment?.NODE_ENV, app).toBe('development');
      expect(service.develop, app).toBeDefined();
    }
    for (const [name, service] of Object.entries(config.services)) {
      for (const port of service.ports ?? []) expect(port.host_ip, name).toBe('127.0.0.1');
    }
    // The console: Vite's dev server on the mounted sources, proxying the api.
    const web = config.services.web!;
    expect(web.image).toBe('keelson/web:dev');
    expect(web.volumes?.find((v) => v.target === '/repo/apps/web/src')?.read_only).toBe(true);
    expect(web.environment?.API_PROXY_TARGET).toBe('http://api:3000');
    // The agent has no model unless one is configured.
    expect(config.services.agent!.environment?.AGENT_MODEL ?? '').toBe('');
  });

  it('has a prod profile: hardened apps, api ×3 behind HAProxy, secrets as files, only the load balancer published', async () => {
    const config = await resolved('--profile', 'prod');
    expect(names(config)).toEqual([
      'agent-prod',
      'api-prod',
      'lb',
      'postgres-prod',
      'redis-prod',
      's3-prod',
      'task-runner-prod',
      'web-prod',
    ]);
    expect(config.services['api-prod']!.deploy?.replicas).toBe(3);
    expect(config.services['task-runner-prod']!.deploy?.replicas).toBe(1);
    expect(config.services.lb!.image).toMatch(/^haproxy:[\d.]+$/);

    for (const [service, app] of Object.entries(PROD_APPS)) {
      const s = config.services[service]!;
      expect(s.read_only, service).toBe(true);
      expect(s.cap_drop, service).toEqual(['ALL']);
      expect(s.security_opt, service).toContain('no-new-privileges:true');
      expect(s.restart, service).toBe('unless-stopped');
      expect(s.logging?.driver, service).toBe('json-file');
      expect(s.logging?.options?.['max-size'], service).toBeDefined();
      expect(s.ports ?? [], service).toEqual([]);
      expect(seconds(s.stop_grace_period!) * 1000, service).toBeGreaterThan(shutdownBudgetMs(app));
      const limits = s.deploy?.resources?.limits;
      expect(Number(limits?.cpus), service).toBeGreaterThan(0);
      const memory = Number(limits?.memory);
      const heapMb = Number(/--max-old-space-size=(\d+)/.exec(s.environment?.NODE_OPTIONS ?? '')?.[1]);
      expect(heapMb * 1024 ** 2, service).toBeLessThanOrEqual(memory * 0.8);
      expect(heapMb * 1024 ** 2, service).toBeGreaterThanOrEqual(memory * 0.5);
      // Secrets as files only.
      expect(s.environment?.DATABASE_URL, service).toBeUndefined();
      expect(s.environment?.DATABASE_URL_FILE, service).toBe('/run/secrets/database-url');
      expect(
        s.secrets?.map((x) => x.source),
        service,
      ).toContain('database-url');
      expect(s.environment?.NODE_ENV, service).toBe('production');
    }
    // The console's static server: as locked down as the apps, reached only through the load balancer.
    const web = config.services['web-prod']!;
    expect(web.read_only).toBe(true);
    expect(web.cap_drop).toEqual(['ALL']);
    expect(web.security_opt).toContain('no-new-privileges:true');
    expect(web.ports ?? []).toEqual([]);
    // On the load balancer's network, the only one it is on.
    expect(web.networks?.ingress?.aliases).toEqual(['web']);
    expect(Number(web.deploy?.resources?.limits?.memory)).toBeGreaterThan(0);
    expect(config.services['api-prod']!.environment?.JWT_SECRET_FILE).toBe('/run/secrets/jwt-secret');
    expect(config.services['postgres-prod']!.environment?.POSTGRES_PASSWORD_FILE).toBe(
      '/run/secrets/postgres-password',
    );

    const published = Object.entries(config.services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['lb']);
    expect(config.services.lb!.ports!.every((p) => p.host_ip === '127.0.0.1')).toBe(true);
    // Every prod service answers to the dev name too, so URLs and Prometheus's targets are shared.
    for (const [service, alias] of [
      ['api-prod', 'api'],
      ['task-runner-prod', 'task-runner'],
      ['agent-prod', 'agent'],
      ['postgres-prod', 'postgres'],
      ['redis-prod', 'redis'],
      ['s3-prod', 's3'],
    ] as const) {
      expect(config.services[service]!.networks?.default?.aliases, service).toEqual([alias]);
    }
    for (const secret of Object.values(config.secrets ?? {}))
      expect(secret.file).toMatch(/\/secrets\/[a-z-]+$/);
  });

  it('gives Redis a password and the apps a Postgres role that cannot change the schema, all from files', async () => {
    const config = await resolved('--profile', 'prod');
    const secretsOf = (service: string) => config.services[service]!.secrets?.map((x) => x.source) ?? [];
    for (const service of Object.keys(PROD_APPS)) {
      const environment = config.services[service]!.environment ?? {};
      expect(environment.REDIS_URL, service).toBeUndefined();
      expect(environment.REDIS_URL_FILE, service).toBe('/run/secrets/redis-url');
      expect(secretsOf(service), service).toContain('redis-url');
      // Only the task-runner, which migrates, gets the owner's URL.
      const migrates = service === 'task-runner-prod';
      expect(environment.MIGRATION_DATABASE_URL_FILE, service).toBe(
        migrates ? '/run/secrets/migration-database-url' : undefined,
      );
      expect(secretsOf(service).includes('migration-database-url'), service).toBe(migrates);
    }

    // Redis reads its users from a file: nothing secret on its command line.
    const redis = config.services['redis-prod']!;
    const command = redis.command!;
    expect(command[command.indexOf('--aclfile') + 1]).toBe('/run/secrets/redis-acl');
    expect(command.join(' ')).not.toMatch(/requirepass|--user|>/);
    expect(secretsOf('redis-prod')).toEqual(['redis-acl', 'redis-password']);

    // Postgres: the superuser for the operator, the two roles from the init script.
    const postgres = config.services['postgres-prod']!;
    expect(postgres.environment?.POSTGRES_USER).toBe('postgres');
    expect(secretsOf('postgres-prod').sort()).toEqual(
      ['postgres-app-password', 'postgres-owner-password', 'postgres-password'].sort(),
    );
    expect(postgres.volumes).toContainEqual(
      expect.objectContaining({
        type: 'bind',
        source: `${REPO_ROOT.replace(/\/$/, '')}/docker/postgres/initdb`,
        target: '/docker-entrypoint-initdb.d',
        read_only: true,
      }),
    );
  });

  it('runs an S3 server (radosgw, built here) in dev and prod, and wires the api and the task-runner to its bucket', async () => {
    const dev = await resolved();
    const prod = await resolved('--profile', 'prod');
    const s3 = dev.services.s3!;
    const s3Prod = prod.services['s3-prod']!;
    for (const [name, service] of [
      ['s3', s3],
      ['s3-prod', s3Prod],
    ] as const) {
      // Built from Debian's packages in this repository (no registry image can run here).
      expect(service.image, name).toBe('keelson/radosgw:local');
      expect(service.build?.dockerfile, name).toBe('docker/radosgw/Dockerfile');
      expect(service.healthcheck?.test?.join(' '), name).toMatch(/rgw-ready/);
      expect(service.healthcheck?.disable ?? false, name).toBe(false);
      const limits = service.deploy?.resources?.limits;
      expect(Number(limits?.cpus), name).toBeGreaterThan(0);
      expect(Number(limits?.memory), name).toBeGreaterThan(0);
      expect(Number(limits?.pids), name).toBeGreaterThan(0);
      // Its data survives `down` (not `down -v`) and container restarts.
      expect(service.volumes?.find((v) => v.target === '/var/lib/ceph/radosgw')?.type, name).toBe('volume');
      expect(service.environment?.RGW_BUCKET, name).toBe('keelson');
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.logging?.driver, name).toBe('json-file');
    }
    // Dev: published on loopback only. Prod: not published, locked down, its key from files.
    expect(s3.ports?.map((p) => [p.host_ip, p.target])).toEqual([['127.0.0.1', 7480]]);
    expect(s3Prod.ports ?? []).toEqual([]);
    expect(s3Prod.read_only).toBe(true);
    expect(s3Prod.cap_drop).toEqual(['ALL']);
    expect(s3Prod.security_opt).toContain('no-new-privileges:true');
    expect(s3Prod.tmpfs?.some((mount) => mount.startsWith('/tmp:'))).toBe(true);
    expect(s3Prod.environment?.RGW_ACCESS_KEY).toBeUndefined();
    expect(s3Prod.environment?.RGW_SECRET_KEY).toBeUndefined();
    expect(s3Prod.environment?.RGW_ACCESS_KEY_FILE).toBe('/run/secrets/storage-access-key-id');
    expect(s3Prod.environment?.RGW_SECRET_KEY_FILE).toBe('/run/secrets/storage-secret-access-key');
    expect(s3Prod.secrets?.map((x) => x.source).sort()).toEqual([
      'storage-access-key-id',
      'storage-secret-access-key',
    ]);

    // The apps that store files get the bucket, path-style, and wait for the server to be healthy;
    // the agent never touches files.
    for (const [config, server, api, runner, agent] of [
      [dev, 's3', 'api', 'task-runner', 'agent'],
      [prod, 's3-prod', 'api-prod', 'task-runner-prod', 'agent-prod'],
    ] as const) {
      for (const app of [api, runner]) {
        const service = config.services[app]!;
        expect(service.environment?.S3_ENDPOINT, app).toBe('http://s3:7480');
        expect(service.environment?.S3_BUCKET, app).toBe('keelson');
        expect(service.environment?.S3_FORCE_PATH_STYLE, app).toBe('true');
        expect(service.depends_on?.[server]?.condition, app).toBe('service_healthy');
      }
      expect(
        Object.keys(config.services[agent]!.environment ?? {}).filter((name) => name.startsWith('S3_')),
      ).toEqual([]);
    }
    // The dev key is the server's; the prod apps read theirs from the files the server reads.
    expect(dev.services.api!.environment?.S3_ACCESS_KEY_ID).toBe(s3.environment?.RGW_ACCESS_KEY);
    expect(dev.services.api!.environment?.S3_SECRET_ACCESS_KEY).toBe(s3.environment?.RGW_SECRET_KEY);
    for (const app of ['api-prod', 'task-runner-prod']) {
      const service = prod.services[app]!;
      expect(service.environment?.S3_ACCESS_KEY_ID, app).toBeUndefined();
      expect(service.environment?.S3_SECRET_ACCESS_KEY, app).toBeUndefined();
      expect(service.environment?.S3_ACCESS_KEY_ID_FILE, app).toBe('/run/secrets/storage-access-key-id');
      expect(service.environment?.S3_SECRET_ACCESS_KEY_FILE, app).toBe(
        '/run/secrets/storage-secret-access-key',
      );
      expect(
        service.secrets?.map((x) => x.source),
        app,
      ).toEqual(expect.arrayContaining(['storage-access-key-id', 'storage-secret-access-key']));
    }
    // Non-root: the image's `ceph` user (the Dockerfile's USER, which compose does not override).
    const dockerfile = await readFile(join(REPO_ROOT, 'docker/radosgw/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER ceph$/m);
    for (const service of [s3, s3Prod]) expect(service.user).toBeUndefined();
  });

  it('trusts X-Forwarded-For from exactly the load balancer: a fixed address no other container can get', async () => {
    const config = await resolved('--profile', 'prod');
    const lb = config.services.lb!;
    // The load balancer is on `ingress` only, at its fixed address; the api trusts that address alone.
    expect(Object.keys(lb.networks ?? {})).toEqual(['ingress']);
    const address = lb.networks!.ingress!.ipv4_address!;
    expect(config.services['api-prod']!.environment?.TRUST_PROXY).toBe(address);
    expect(config.services['api-prod']!.networks?.ingress?.aliases).toEqual(['api']);
    // Inside the network's subnet, outside the range Docker numbers every other container from.
    const [ipam] = config.networks!.ingress!.ipam!.config!;
    const toNumber = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const within = (ip: string, cidr: string) => {
      const [base, bits] = cidr.split('/');
      const size = 2 ** (32 - Number(bits));
      return toNumber(ip) >= toNumber(base!) && toNumber(ip) < toNumber(base!) + size;
    };
    expect(within(address, ipam!.subnet!)).toBe(true);
    expect(within(address, ipam!.ip_range!)).toBe(false);
    expect(within(ipam!.ip_range!.split('/')[0]!, ipam!.subnet!)).toBe(true);
    // One variable moves all four values together, for a second prod project on the same host.
    const moved = await resolvedWith({ LB_NETWORK_PREFIX: '10.203.42' }, '--profile', 'prod');
    expect(moved.services.lb!.networks!.ingress!.ipv4_address).toBe('10.203.42.2');
    expect(moved.services['api-prod']!.environment?.TRUST_PROXY).toBe('10.203.42.2');
    expect(moved.networks!.ingress!.ipam!.config).toEqual([
      { subnet: '10.203.42.0/27', ip_range: '10.203.42.16/28' },
    ]);
  });

  it('adds Ollama with the llm profile and points the agent at it through docker/llm.env', async () => {
    const prod = await resolved('--profile', 'prod', '--profile', 'llm');
    expect(names(prod)).toEqual(expect.arrayContaining(['ollama', 'ollama-pull', 'agent-prod']));
    expect(prod.services['agent-prod']!.depends_on?.['ollama-pull']).toMatchObject({
      condition: 'service_completed_successfully',
      required: false,
    });

    const dev = await resolved('--env-file', 'docker/llm.env');
    expect(names(dev)).toEqual([
      'agent',
      'api',
      'ollama',
      'ollama-pull',
      'postgres',
      'redis',
      's3',
      'task-runner',
      'web',
    ]);
    const agent = dev.services.agent!.environment!;
    expect(agent.AGENT_MODEL).toMatch(/^openai-compatible:.+/);
    expect(agent.OPENAI_COMPATIBLE_BASE_URL).toBe('http://ollama:11434/v1');
    expect(dev.services['ollama-pull']!.environment?.OLLAMA_HOST).toBe('http://ollama:11434');
    // Without the profile the agent's optional dependency on the model is dropped, not an error.
    expect(names(await resolved('--profile', 'prod'))).not.toContain('ollama');
  });

  it('includes the monitoring profile, combinable with dev or prod and absent otherwise', async () => {
    expect(names(await resolved('--profile', 'dev', '--profile', 'monitoring'))).toEqual(
      expect.arrayContaining([...MONITORING, 'api', 'task-runner', 'agent']),
    );
    expect(names(await resolved('--profile', 'prod', '--profile', 'monitoring'))).toEqual(
      expect.arrayContaining([...MONITORING, 'api-prod', 'lb']),
    );
    expect(names(await resolved()).filter((name) => MONITORING.includes(name))).toEqual([]);
  });
});
