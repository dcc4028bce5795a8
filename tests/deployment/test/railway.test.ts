import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatabaseNode } from 'railway/iac';
import { validateGraph } from 'railway/iac';
import { describe, expect, it } from 'vitest';
import { configFacts, WORKLOADS, type AppName } from '../src/apps.ts';
import {
  deployments,
  RAILWAY_FILE,
  railwayProject,
  railwayResources,
  railwayServices,
  type Deployment,
} from '../src/platforms.ts';
import { ROOT } from '../src/repository.ts';
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

  it('builds every service from its Dockerfile, rebuilding when its inputs change', () => {
    for (const service of services) {
      const dockerfile = WORKLOADS[service.name as keyof typeof WORKLOADS].dockerfile;
      expect(service.build).toMatchObject({ builder: 'DOCKERFILE', dockerfilePath: dockerfile });
      expect(service.build?.watchPatterns, service.name).toEqual(
        expect.arrayContaining([
          `apps/${service.name}/**`,
          'packages/**',
          `docker/${service.name}/**`,
          'pnpm-lock.yaml',
        ]),
      );
      expect(service.source?.type, service.name).toBe('github');
    }
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
