import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UPDATE_SERVICE_KEYS, ecs } from '../src/ecs-definitions.ts';
import { ecsExampleValues } from '../src/platforms.ts';
import { ROOT } from '../src/repository.ts';

/**
 * Runs deploy/aws-ecs/deploy.sh against a fake `aws` (test/support/fake-aws.ts) and checks the
 * order of what it asks AWS to do, and that a failed migration stops it before any service.
 */

interface Call {
  args: string[];
  input?: Record<string, unknown>;
}

function deploy(env: Record<string, string> = {}): { status: number | null; calls: Call[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-deploy-'));
  const fake = fileURLToPath(new URL('./support/fake-aws.ts', import.meta.url));
  writeFileSync(join(dir, 'aws'), `#!/bin/sh\nexec node ${JSON.stringify(fake)} "$@"\n`);
  chmodSync(join(dir, 'aws'), 0o755);
  const log = join(dir, 'calls.jsonl');
  writeFileSync(log, '');
  const result = spawnSync('bash', [join(ROOT, 'deploy/aws-ecs/deploy.sh'), '1.2.3'], {
    env: {
      PATH: `${dir}:${process.env.PATH}`,
      HOME: dir,
      ...ecsExampleValues(),
      FAKE_AWS_LOG: log,
      ...env,
    },
    encoding: 'utf8',
  });
  const calls = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Call);
  return { status: result.status, calls, stderr: result.stderr };
}

/** One routine deploy (every variable of example.env, every service existing), shared by the checks that only read it. */
let routineRun: ReturnType<typeof deploy> | undefined;
const routine = () => (routineRun ??= deploy());

const step = (call: Call) =>
  `${call.args[0]} ${call.args[1]}${call.args[1] === 'wait' ? ` ${call.args[2]}` : ''}`;
const service = (call: Call) => String(call.input?.service ?? call.input?.serviceName);

describe('deploy/aws-ecs/deploy.sh', () => {
  it('registers, migrates and waits, then updates task-runner → agent → api, each waited for', () => {
    const { status, calls, stderr } = routine();
    expect(status, stderr).toBe(0);
    const steps = calls.map(step);
    const registered = calls.filter((c) => step(c) === 'ecs register-task-definition');
    expect(registered.map((c) => c.input?.family)).toEqual([
      'keelson-migrate',
      'keelson-task-runner',
      'keelson-agent',
      'keelson-api',
    ]);
    // Rendered: no placeholder reaches AWS, and the tag is the one asked for.
    for (const call of calls) expect(JSON.stringify(call.input ?? {})).not.toContain('${');
    expect(JSON.stringify(registered[3]!.input)).toContain('/api:1.2.3');

    const runTask = steps.indexOf('ecs run-task');
    expect(calls[runTask]!.args).toContain(
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/keelson-migrate:7',
    );
    expect(steps.indexOf('ecs wait tasks-stopped')).toBeGreaterThan(runTask);
    const exitCode = calls.findIndex(
      (c) => step(c) === 'ecs describe-tasks' && c.args.join(' ').includes('exitCode'),
    );
    expect(exitCode).toBeGreaterThan(steps.indexOf('ecs wait tasks-stopped'));

    const updates = calls.filter((c) => step(c) === 'ecs update-service');
    expect(updates.map(service)).toEqual(['keelson-task-runner', 'keelson-agent', 'keelson-api']);
    expect(calls.indexOf(updates[0]!)).toBeGreaterThan(exitCode);
    // Each service is stable before the next one starts.
    for (const [i, update] of updates.entries()) {
      const waited = calls.findIndex(
        (c, j) => j > calls.indexOf(update) && step(c) === 'ecs wait services-stable',
      );
      expect(waited, service(update)).toBeGreaterThan(calls.indexOf(update));
      if (updates[i + 1]) expect(waited).toBeLessThan(calls.indexOf(updates[i + 1]!));
    }
  });

  it('re-applies each service file but its desiredCount, which autoscaling or the operator owns', () => {
    const updates = routine().calls.filter(
      (c) => step(c) === 'ecs update-service' && c.input?.forceNewDeployment === undefined,
    );
    for (const update of updates) {
      for (const key of Object.keys(update.input!))
        expect(UPDATE_SERVICE_KEYS, service(update)).toContain(key);
      expect(update.input, service(update)).not.toHaveProperty('desiredCount');
    }
    const runner = updates.find((u) => service(u) === 'keelson-task-runner')!;
    expect(runner.input).toMatchObject({
      deploymentConfiguration: ecs.services['task-runner'].deploymentConfiguration,
    });
  });

  it('creates services that do not exist yet from their files', () => {
    const { status, calls } = deploy({ FAKE_SERVICE_STATUS: 'None' });
    expect(status).toBe(0);
    const created = calls.filter((c) => step(c) === 'ecs create-service');
    expect(created.map(service)).toEqual(['keelson-task-runner', 'keelson-agent', 'keelson-api']);
    expect(created[0]!.args).toContain(
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/keelson-task-runner:7',
    );
  });

  it('restarts the callers that started before a Service Connect endpoint existed (first run)', () => {
    const { status, calls, stderr } = deploy({ FAKE_SERVICE_STATUS: 'None' });
    expect(status, stderr).toBe(0);
    const created = calls.filter((c) => step(c) === 'ecs create-service');
    const restarts = calls.filter((c) => step(c) === 'ecs update-service');
    // The task-runner started before `agent` existed, the agent before `api`; the api came last.
    expect(restarts.map(service)).toEqual(['keelson-task-runner', 'keelson-agent']);
    expect(calls.indexOf(restarts[0]!)).toBeGreaterThan(calls.indexOf(created.at(-1)!));
    for (const restart of restarts) {
      expect(restart.input).toEqual({
        cluster: ecsExampleValues().ECS_CLUSTER,
        service: service(restart),
        forceNewDeployment: true,
      });
      const waited = calls.findIndex(
        (c, j) => j > calls.indexOf(restart) && step(c) === 'ecs wait services-stable',
      );
      expect(waited, service(restart)).toBeGreaterThan(calls.indexOf(restart));
    }
  });

  it('restarts only the callers of an endpoint this run added, and nothing on a routine deploy', () => {
    // An upgrade where the api becomes a Service Connect server: its caller, the agent, was
    // updated before it and cannot resolve `api` until it restarts.
    const upgrade = deploy({ FAKE_ENDPOINTS: 'agent' });
    expect(upgrade.status, upgrade.stderr).toBe(0);
    const forced = upgrade.calls.filter((c) => c.input?.forceNewDeployment === true);
    expect(forced.map(service)).toEqual(['keelson-agent']);

    expect(routine().calls.some((c) => c.input?.forceNewDeployment === true)).toBe(false);
  });

  it('pulls with registry credentials only when REGISTRY_CREDENTIALS_ARN is set', () => {
    const registered = ({ calls }: { calls: Call[] }) =>
      calls
        .filter((c) => step(c) === 'ecs register-task-definition')
        .map((c) => (c.input!.containerDefinitions as Record<string, unknown>[])[0]!);
    // Public packages, or ECR through the execution role (example.env leaves it empty): no
    // credentials, and no placeholder left.
    expect(ecsExampleValues().REGISTRY_CREDENTIALS_ARN).toBe('');
    const anonymous = registered(routine());
    expect(anonymous).toHaveLength(4);
    for (const container of anonymous) expect(container).not.toHaveProperty('repositoryCredentials');
    // Private GHCR packages: every container pulls with the secret.
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:keelson/ghcr-AbCdEf';
    const authenticated = registered(deploy({ REGISTRY_CREDENTIALS_ARN: arn }));
    expect(authenticated).toHaveLength(4);
    for (const container of authenticated)
      expect(container.repositoryCredentials).toEqual({ credentialsParameter: arn });
  });

  it("sets the ALB's idle timeout and deregistration delay before it touches a service", () => {
    const { status, calls, stderr } = routine();
    expect(status, stderr).toBe(0);
    const idle = calls.findIndex((c) => step(c) === 'elbv2 modify-load-balancer-attributes');
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(calls[idle]!.input).toEqual({
      ...ecs.loadBalancerAttributes,
      LoadBalancerArn: ecsExampleValues().API_LOAD_BALANCER_ARN,
    });
    const drain = calls.findIndex((c) => step(c) === 'elbv2 modify-target-group-attributes');
    expect(drain).toBeGreaterThanOrEqual(0);
    const firstService = calls.findIndex((c) => /^ecs (update|create)-service$/.test(step(c)));
    expect(Math.max(idle, drain)).toBeLessThan(firstService);
  });

  it('stops before any service when the migration fails', () => {
    const { status, calls, stderr } = deploy({ FAKE_MIGRATE_EXIT: '1' });
    expect(status).toBe(1);
    expect(stderr).toMatch(/migrations exited with 1/);
    expect(calls.some((c) => /^ecs (update|create)-service$/.test(step(c)))).toBe(false);
  });

  it('refuses to start without its variables', () => {
    const { status, calls, stderr } = deploy({ SECRETS_ARN: '' });
    expect(status).toBe(2);
    expect(stderr).toMatch(/SECRETS_ARN/);
    expect(calls).toEqual([]);
  });

  it('deploys only the services DEPLOY_SERVICES names, still in order', () => {
    const { status, calls } = deploy({ DEPLOY_SERVICES: 'api task-runner' });
    expect(status).toBe(0);
    expect(calls.filter((c) => step(c) === 'ecs update-service').map(service)).toEqual([
      'keelson-task-runner',
      'keelson-api',
    ]);
  });
});
