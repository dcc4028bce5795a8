import { describe, expect, it } from 'vitest';
import { registeredRoutes, WORKLOADS, type AppName } from '../src/apps.ts';
import { ecs } from '../src/ecs-definitions.ts';
import { deployments, PLATFORMS, renderBlueprint, type Deployment, type Platform } from '../src/platforms.ts';
import { runtimeConfig } from '../src/runtime-config.ts';

/**
 * The agent on every platform: private, reached by the api and the task-runner (AGENT_URL) at the
 * address the platform gives it on its private network, itself reaching the api's MCP endpoint
 * (API_MCP_URL) the same way, all of them sharing one SERVICE_AUTH_TOKEN. Where a platform
 * generates the internal hostnames (Render), the configuration references them and the apps'
 * configs turn the platform's `host:port` into the URL.
 */

const all = await deployments();
const on = (platform: Platform, workload: AppName): Deployment => {
  const deployment = all.find((d) => d.platform === platform && d.workload === workload);
  if (!deployment) throw new Error(`${platform} has no ${workload}`);
  return deployment;
};

/** The port an app listens on there, from its own config (PORT for the api and the agent). */
const listensOn = async (deployment: Deployment) =>
  (await runtimeConfig(deployment))[WORKLOADS[deployment.workload].portVariable!] as number;

/**
 * Checks that `caller`'s `variable`, parsed by the caller's own config, is an http URL to
 * `target`'s private address on the port `target` listens on, and returns its path. The address
 * is either written in the configuration (Railway, ECS) or filled in by the platform from the
 * target (Render's `fromService … property: hostport`, a scheme-less `host:port`).
 */
async function expectPrivateUrl(caller: Deployment, variable: string, target: Deployment) {
  const source = caller.env[variable];
  const where = `${caller.where}: ${variable}`;
  expect(['literal', 'reference'], `${where}: set by the configuration, not by hand`).toContain(source?.kind);
  const value = (await runtimeConfig(caller))[variable];
  expect(typeof value, where).toBe('string');
  const url = new URL(value as string);
  expect(url.protocol, where).toBe('http:');
  expect(Number(url.port), `${where}: the port ${target.workload} listens on`).toBe(await listensOn(target));
  if (source?.kind === 'reference') {
    expect(source.target, `${where}: references ${target.workload}`).toBe(target.workload);
    expect(source.example, `${where}: a value in the platform's form`).toBeDefined();
    expect(`${url.hostname}:${url.port}`, where).toBe(source.example);
  } else {
    expect(source?.kind, where).toBe('literal');
    expect(target.privateAddress, `${target.where}: a private address`).toBeDefined();
    expect(url.hostname, where).toBe(target.privateAddress!.host);
    expect(target.privateAddress!.port, `${target.where}: its private port is the one it listens on`).toBe(
      await listensOn(target),
    );
  }
  return url.pathname;
}

describe('the agent on every platform', () => {
  it('is private: no public domain, web service, load balancer or public IP (while the api is public)', () => {
    for (const platform of PLATFORMS) {
      expect(on(platform, 'agent').public, on(platform, 'agent').where).toBe(false);
      expect(on(platform, 'task-runner').public, on(platform, 'task-runner').where).toBe(false);
      // Railway's generated domains are not part of its IaC: the api gets one in the dashboard.
      if (platform !== 'railway') expect(on(platform, 'api').public, on(platform, 'api').where).toBe(true);
    }
    const render = renderBlueprint().services.find((s) => s.name === 'keelson-agent');
    expect(render?.type, 'Render: a private service').toBe('pserv');
  });

  it('is called by the api and the task-runner at its private address, on the port it listens on', async () => {
    for (const platform of PLATFORMS) {
      for (const caller of ['api', 'task-runner'] as const) {
        const path = await expectPrivateUrl(on(platform, caller), 'AGENT_URL', on(platform, 'agent'));
        expect(path, `${platform} ${caller}: AGENT_URL is the agent's root`).toBe('/');
      }
    }
  });

  it("reaches the api's MCP endpoint at the api's private address", async () => {
    const postRoutes = registeredRoutes('api', 'post');
    expect([...postRoutes]).toContain('/mcp');
    for (const platform of PLATFORMS) {
      const path = await expectPrivateUrl(on(platform, 'agent'), 'API_MCP_URL', on(platform, 'api'));
      expect([...postRoutes], `${platform}: API_MCP_URL path`).toContain(path);
    }
  });

  it('shares one SERVICE_AUTH_TOKEN, never a literal, with every caller', () => {
    for (const platform of PLATFORMS) {
      const sources = (['agent', 'api', 'task-runner'] as const).map((workload) => {
        const source = on(platform, workload).env.SERVICE_AUTH_TOKEN;
        expect(source?.kind, `${platform} ${workload}: SERVICE_AUTH_TOKEN`).toBe('secret');
        return JSON.stringify(source);
      });
      expect(new Set(sources).size, `${platform}: one value for the agent and its callers`).toBe(1);
    }
  });

  it('is health-checked as each platform allows: readiness on Railway, liveness on ECS, none on Render', () => {
    // Railway gates a deploy on the path, then never probes it again: readiness.
    expect(on('railway', 'agent').healthChecks).toEqual([
      expect.objectContaining({ path: '/ready', purposes: ['routing'] }),
    ]);
    // ECS restarts a task whose container check keeps failing: liveness.
    expect(on('ecs', 'agent').healthChecks).toEqual([
      expect.objectContaining({ path: '/health', purposes: ['liveness'] }),
    ]);
    // Render's HTTP health checks are for web services only (https://render.com/docs/health-checks).
    expect(on('render', 'agent').healthChecks).toEqual([]);
  });
});

describe('Service Connect on ECS', () => {
  const timeoutOf = (name: 'api' | 'agent') => {
    const [server] = ecs.services[name].serviceConnectConfiguration.services;
    return server!.timeout as { perRequestTimeoutSeconds?: number; idleTimeoutSeconds?: number };
  };
  // 0 turns a Service Connect timeout off; otherwise it must outlast the caller's own deadline.
  const outlasts = (seconds: number | undefined, deadlineS: number) =>
    seconds !== undefined && (seconds === 0 || seconds > deadlineS);

  it("never ends a call to the agent before its callers' own deadlines", async () => {
    const api = await runtimeConfig(on('ecs', 'api'));
    const runner = await runtimeConfig(on('ecs', 'task-runner'));
    // The api waits AGENT_TIMEOUT_MS for each chunk; a background run takes up to AGENT_RUN_TIMEOUT_MS.
    const deadlineS = Math.max(api.AGENT_TIMEOUT_MS as number, runner.AGENT_RUN_TIMEOUT_MS as number) / 1000;
    const { perRequestTimeoutSeconds, idleTimeoutSeconds } = timeoutOf('agent');
    expect(outlasts(perRequestTimeoutSeconds, deadlineS), `perRequest ${perRequestTimeoutSeconds}`).toBe(
      true,
    );
    expect(outlasts(idleTimeoutSeconds, deadlineS), `idle ${idleTimeoutSeconds}`).toBe(true);
  });

  it("never ends the agent's MCP calls to the api before the agent's MCP_TIMEOUT_MS", async () => {
    const agent = await runtimeConfig(on('ecs', 'agent'));
    const deadlineS = (agent.MCP_TIMEOUT_MS as number) / 1000;
    expect(outlasts(timeoutOf('api').perRequestTimeoutSeconds, deadlineS)).toBe(true);
  });
});
