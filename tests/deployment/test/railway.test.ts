import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatabaseNode } from 'railway/iac';
import { service, validateGraph } from 'railway/iac';
import { describe, expect, it } from 'vitest';
import { REQUIRED_MAXMEMORY_POLICY } from '../../../packages/queue/src/redis-requirements.ts';
import { configFacts, WORKLOADS, type AppName } from '../src/apps.ts';
import { DEPLOYMENT_DOC, section, SECTION_TITLES } from '../src/deployment-doc.ts';
import {
  deployments,
  RAILWAY_FILE,
  railwayProject,
  railwayResources,
  railwayServices,
  type Deployment,
} from '../src/platforms.ts';
import { read, ROOT } from '../src/repository.ts';
import { runtimeConfig } from '../src/runtime-config.ts';

/**
 * `.railway/railway.ts` is type-checked against the `railway` SDK by tsc (it is imported by
 * src/platforms.ts) and evaluated here with the SDK, as Railway's CLI evaluates it.
 */

const resources = await railwayResources();
const services = await railwayServices();

describe('the Railway configuration', () => {
  it('evaluates to a project the SDK accepts', async () => {
    const project = await railwayProject();
    expect(project.name).toBe('keelson');
    const addresses = resources.map((r) => r.address);
    expect(new Set(addresses).size, 'unique resource addresses').toBe(addresses.length);
    const graph = {
      version: 1 as const,
      project: { name: project.name },
      environments: [],
      resources,
      edges: [],
    };
    expect(validateGraph(graph)).toEqual([]);
  });

  it('declares managed Postgres and Redis and references their variables', () => {
    const databases = resources.filter((r): r is DatabaseNode => r.type === 'database');
    expect(databases.map((d) => d.engine).sort()).toEqual(['postgres', 'redis']);
    for (const service of services) {
      for (const [name, value] of Object.entries(service.variables ?? {})) {
        if (value.type !== 'reference') continue;
        expect(
          resources.map((r) => r.address),
          `${RAILWAY_FILE} ${service.name}.${name}`,
        ).toContain(value.resource);
      }
    }
  });

  it('pulls every service from the images the images workflow publishes, building nothing', () => {
    // images.yml pushes ghcr.io/<owner>/<repo>/<app>, tagged with the version of a v1.2.3 tag.
    expect(read('.github/workflows/images.yml')).toContain(
      'images: ghcr.io/${{ github.repository }}/${{ matrix.app }}',
    );
    const releases = services.map((service) => {
      expect(service.source?.type, service.name).toBe('image');
      expect(service.build, `${service.name}: nothing is built on Railway`).toBeUndefined();
      const match = /^ghcr\.io\/([^/]+\/[^/]+)\/([a-z-]+):(\d+\.\d+\.\d+)$/.exec(service.source?.image ?? '');
      expect(match, `${service.name}: ${service.source?.image}`).not.toBeNull();
      expect(match![2], service.name).toBe(service.name);
      return `${match![1]}:${match![3]}`;
    });
    expect(new Set(releases).size, 'one release of one fork').toBe(1);
  });

  it("asks Railway's builder for no cache mount it refuses (which is why it builds nothing)", () => {
    // Railway accepts a BuildKit cache mount only as `id=s/<service id>-<target path>`, with
    // the service's id written out (its Dockerfile docs, "Cache mounts"): no template can.
    const acceptable = (dockerfile: string) =>
      [...read(dockerfile).matchAll(/--mount=type=cache,(\S+)/g)].every(([, options]) =>
        /(?:^|,)id=s\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\//.test(options!),
      );
    for (const service of services) {
      if (service.build?.builder === 'DOCKERFILE')
        expect(acceptable(service.build.dockerfilePath!), service.name).toBe(true);
    }
    const dockerfiles = services.map((service) => WORKLOADS[service.name as AppName].dockerfile);
    expect(dockerfiles.filter((dockerfile) => !acceptable(dockerfile))).toEqual(dockerfiles);
  });

  it("gives Railway's Redis a start command that keeps noeviction across restarts", () => {
    const cache = resources.find((r): r is DatabaseNode => r.type === 'database' && r.engine === 'redis');
    const start = cache?.deploy?.startCommand ?? '';
    // The template's own flags stay (REDIS_URL's password, snapshots, the volume) …
    for (const flag of [
      '--requirepass $REDIS_PASSWORD',
      '--dir $RAILWAY_VOLUME_MOUNT_PATH',
      'docker-entrypoint.sh redis-server',
    ])
      expect(start).toContain(flag);
    // … with the policy the task-runner requires, on the command line, and an append-only file.
    expect(start).toContain(`--maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY}`);
    expect(start).toContain('--appendonly yes');
    // test/railway-redis.test.ts runs it.
  });

  it('documents a custom domain in the form that reaches the api, not the SDK default 8080', async () => {
    const api = (await deployments()).find((d) => d.platform === 'railway' && d.workload === 'api')!;
    const port = (await runtimeConfig(api)).PORT;
    // The bare form is the trap: the SDK sends a domain without a port to 8080.
    expect(service('api', { domains: ['api.example.com'] }).networking?.customDomains).toEqual({
      'api.example.com': { port: 8080 },
    });
    const examples = [read(DEPLOYMENT_DOC), read(RAILWAY_FILE)].flatMap((text) =>
      [...text.matchAll(/domains: (\[[^\]]*\])/g)].map((match) => match[1]!),
    );
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) {
      // The examples are object literals: quote their keys and strings to read them as JSON.
      const domains = JSON.parse(example.replaceAll("'", '"').replace(/(\w+):/g, '"$1":')) as (
        string | { domain: string; port?: number }
      )[];
      const rendered = service('api', { domains }).networking?.customDomains ?? {};
      expect(Object.keys(rendered).length, example).toBeGreaterThan(0);
      for (const [domain, config] of Object.entries(rendered))
        expect(config?.port, `${example}: ${domain}`).toBe(port);
    }
  });

  it('says Railway no longer reads railway.json / railway.toml, how to migrate, and ships neither', () => {
    const text = section(SECTION_TITLES.railway)!;
    expect(text).toMatch(/`railway\.json`[^.]*`railway\.toml`[^.]*2026-12-01/);
    expect(text).toContain('railway config migrate');
    expect(text).not.toMatch(/on their way out|warns when it finds/);
    expect(read(RAILWAY_FILE)).toContain('railway config migrate');
    const tracked = spawnSync('git', ['ls-files', '--', '*railway.json', '*railway.toml'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(tracked.status).toBe(0);
    expect(tracked.stdout.trim(), 'Config as Code files, which Railway ignores').toBe('');
  });

  it('sets draining explicitly (Railway defaults to 0 s) and never overlaps deployments', () => {
    for (const service of services) {
      expect(service.deploy?.drainingSeconds, service.name).toBeGreaterThan(0);
      expect(service.deploy?.overlapSeconds, service.name).toBe(0);
      expect(service.deploy?.restartPolicyType, service.name).toBe('ON_FAILURE');
    }
  });

  it('keeps the agent and the task-runner private (no domains)', () => {
    for (const name of ['agent', 'task-runner']) {
      const service = services.find((s) => s.name === name)!;
      expect(service.networking?.customDomains, name).toBeUndefined();
      expect(service.networking?.serviceDomains, name).toBeUndefined();
    }
  });

  it('works on the IPv6-only private network of older environments', async () => {
    // Listening on `::` accepts IPv6 (and IPv4): the api and the agent are called over the
    // private network, and the task-runner's health port is scraped over it. Each app's own
    // config reads HOST and keeps `::` (it would silently listen on 0.0.0.0 otherwise).
    for (const deployment of (await deployments()).filter(
      (d): d is Deployment & { workload: AppName } => d.platform === 'railway' && d.workload !== 'migrate',
    )) {
      expect(deployment.env.HOST, deployment.where).toEqual({ kind: 'literal', value: '::' });
      expect((await configFacts(deployment.workload)).variables, deployment.where).toContain('HOST');
      expect((await runtimeConfig(deployment)).HOST, deployment.where).toBe('::');
    }
    expect(services.map((s) => s.name).sort()).toEqual(['agent', 'api', 'task-runner']);
    // Redis: the client built with the queue package's own options resolves either address
    // family (ioredis >= 5.8.2 defaults to family 0; Railway's docs still ask for it by hand).
    const queue = (await import(pathToFileURL(join(ROOT, 'packages/queue/src/redis.ts')).href)) as {
      Redis: new (url: string, options: object) => { options: { family?: number }; disconnect(): void };
      redisOptions: (role: 'producer' | 'worker') => object;
    };
    for (const role of ['producer', 'worker'] as const) {
      const client = new queue.Redis('redis://default:secret@redis.railway.internal:6379', {
        ...queue.redisOptions(role),
        lazyConnect: true,
      });
      expect(client.options.family, role).toBe(0);
      client.disconnect();
    }
  });
});
