import { describe, expect, it } from 'vitest';
import { configFacts, type AppName } from '../src/apps.ts';
import { ecs } from '../src/ecs-definitions.ts';
import { deployments, type Deployment } from '../src/platforms.ts';
import { read } from '../src/repository.ts';
import { runtimeConfig } from '../src/runtime-config.ts';

/**
 * A streamed turn can be silent longer than a proxy allows a connection to idle (a slow model, a
 * long tool call); a JSON turn is silent until it is answered. On every platform, streams carry
 * heartbeats well inside the shortest idle timeout on their path, and what cannot carry one (a
 * JSON answer) fits inside the idle timeouts the configurations set.
 */

/**
 * An ALB closes a connection idle for 60 s unless told otherwise: the shortest idle timeout we
 * know of among the proxies in front of the apps (Render's and Railway's edges document none
 * shorter). "Well inside" is at most half of it.
 */
const ALB_DEFAULT_IDLE_S = 60;

const all = await deployments();
const streaming = all.filter(
  (d): d is Deployment & { workload: AppName } => d.workload === 'api' || d.workload === 'agent',
);
const seconds = async (deployment: Deployment, variable: string) =>
  ((await runtimeConfig(deployment))[variable] as number) / 1000;

const albIdleS = Number(
  ecs.loadBalancerAttributes.Attributes.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value,
);

describe('streams on every platform', () => {
  it('carry a heartbeat well inside the shortest idle timeout on their path', async () => {
    expect(streaming.length).toBe(6);
    for (const deployment of streaming) {
      expect((await configFacts(deployment.workload)).variables, deployment.workload).toContain(
        'SSE_HEARTBEAT_MS',
      );
      const heartbeatS = await seconds(deployment, 'SSE_HEARTBEAT_MS');
      expect(heartbeatS, deployment.where).toBeLessThanOrEqual(ALB_DEFAULT_IDLE_S / 2);
      if (deployment.platform !== 'ecs') continue;
      // ECS: the api's streams pass the ALB; the agent's pass its Service Connect proxy.
      expect(heartbeatS, `${deployment.where}: ALB idle timeout`).toBeLessThan(albIdleS);
      if (deployment.workload === 'agent') {
        const [server] = ecs.services.agent.serviceConnectConfiguration.services;
        const idle = (server!.timeout as { idleTimeoutSeconds: number }).idleTimeoutSeconds;
        expect(idle === 0 || heartbeatS < idle, `Service Connect idle ${idle} s`).toBe(true);
      }
    }
  });

  it('keep the ALB open for as long as the api may take to answer a JSON turn', async () => {
    const api = all.find((d) => d.platform === 'ecs' && d.workload === 'api')!;
    const answerWithinS = await seconds(api, 'AGENT_TIMEOUT_MS');
    expect(albIdleS, 'idle_timeout.timeout_seconds').toBeGreaterThan(answerWithinS);
    // The ALB's own bounds for the attribute (1-4000 s).
    expect(albIdleS).toBeLessThanOrEqual(4000);
  });

  it("keep the Docker host's load balancer open as long towards the api, with heartbeats well inside it", async () => {
    const haproxy = read('docker/lb/haproxy.cfg');
    const timeout = (name: string) => {
      const match = new RegExp(`^\\s*timeout ${name} (\\d+)s$`, 'm').exec(haproxy);
      expect(match, `timeout ${name}`).not.toBeNull();
      return Number(match![1]);
    };
    const api = all.find((d) => d.platform === 'ecs' && d.workload === 'api')!;
    const answerWithinS = await seconds(api, 'AGENT_TIMEOUT_MS');
    expect(timeout('server'), 'server').toBeGreaterThan(answerWithinS);
    expect(await seconds(api, 'SSE_HEARTBEAT_MS')).toBeLessThanOrEqual(timeout('server') / 2);
    // Towards the client, `timeout client` is short on purpose (it cuts a client that pauses while
    // sending its body) and never runs while a client waits for its answer or for the next bytes
    // of a stream: tests/e2e/test/load-balancer.test.ts waits longer than it for both. What it
    // must exceed is the pause of a client that is sending normally, far below the answer time.
    expect(timeout('client'), 'client').toBeLessThan(answerWithinS);
    expect(timeout('http-request'), 'http-request').toBeLessThanOrEqual(timeout('client'));
  });
});
