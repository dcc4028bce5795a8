import { describe, expect, it } from 'vitest';
import {
  checkedApps,
  checkedWorkloads,
  configFacts,
  loaderOf,
  MIGRATE_COMMAND,
  MIGRATE_SOURCES,
  problemsOf,
  registeredRoutes,
  WORKLOADS,
  type AppName,
} from '../src/apps.ts';
import { ecs } from '../src/ecs-definitions.ts';
import { deployments, PLATFORMS, type Deployment } from '../src/platforms.ts';
import { exists, read } from '../src/repository.ts';
import { manuallySetVariables } from '../src/deployment-doc.ts';
import { runtimeConfig, runtimeEnvironment } from '../src/runtime-config.ts';

/**
 * The invariants every platform must keep, each derived from the apps' code (their config
 * schemas, defaults and routes) rather than restated here. One `it` per invariant; each walks
 * every platform and every workload.
 */

const all = await deployments();
const checked = new Set(checkedWorkloads());
const deployed = all.filter((d) => checked.has(d.workload));

/**
 * SIGTERM → SIGKILL must exceed the app's own shutdown budget by this much: after the budget the
 * app still closes its connections, and the task-runner's last-resort timer is budget + 5 s.
 */
const SHUTDOWN_MARGIN_S = 10;

describe('every platform', () => {
  it('deploys every workload whose code exists', () => {
    for (const platform of PLATFORMS) {
      for (const workload of checked) {
        expect(
          all.some((d) => d.platform === platform && d.workload === workload),
          `${platform} has no ${workload}`,
        ).toBe(true);
      }
    }
  });

  it('provides every variable an app requires (or deployment.md lists it as set by hand)', async () => {
    for (const deployment of deployed) {
      const { required } = await configFacts(deployment.workload);
      const manual = manuallySetVariables(deployment.platform, deployment.workload);
      for (const name of required) {
        expect(
          name in deployment.env || manual.has(name),
          `${deployment.where}: ${deployment.workload} requires ${name}; provide it, or list it as set by hand in deployment.md`,
        ).toBe(true);
      }
    }
  });

  it('gives each app an environment its production config accepts', async () => {
    for (const deployment of deployed) {
      const load = await loaderOf(deployment.workload);
      const env = runtimeEnvironment(deployment);
      expect(env.NODE_ENV, `${deployment.where}: NODE_ENV`).toBe('production');
      expect(problemsOf(load, env), deployment.where).toEqual([]);
    }
  });

  it('never writes a secret as a literal value', async () => {
    for (const deployment of all) {
      const secrets = new Set((await configFacts(deployment.workload).catch(() => undefined))?.secrets ?? []);
      for (const [name, source] of Object.entries(deployment.env)) {
        // The app's own list, plus anything named like a credential (platform-only variables).
        const secret = secrets.has(name) || /SECRET|TOKEN|PASSWORD|API_KEY|PRIVATE_KEY/.test(name);
        if (!secret) continue;
        expect(source.kind, `${deployment.where}: ${name} is a secret but written as a literal`).not.toBe(
          'literal',
        );
      }
    }
    // ECS: secrets come from Secrets Manager or SSM by ARN, never as a value.
    for (const [workload, definition] of Object.entries(ecs.taskDefinitions)) {
      for (const { valueFrom } of definition.containerDefinitions[0]!.secrets) {
        expect(valueFrom, workload).toMatch(
          /^(\$\{SECRETS_ARN\}:[A-Z0-9_]+::|arn:aws:(secretsmanager|ssm):)/,
        );
      }
    }
  });

  it('runs the task-runner as replicas that all work, one of them leading, without a gap during a deploy', () => {
    // Every replica processes jobs once its schema is migrated, and the Postgres leader lock makes
    // one of them the leader whatever the count: two keep the work and the leader's duties going
    // while one restarts. Railway and Render start a new instance before stopping the old one;
    // ECS is told to (minimumHealthyPercent 100).
    for (const deployment of all.filter((d) => d.workload === 'task-runner')) {
      expect(deployment.instances, `${deployment.where}: instances`).toBeGreaterThanOrEqual(2);
    }
    const { deploymentConfiguration } = ecs.services['task-runner'];
    expect(deploymentConfiguration.minimumHealthyPercent).toBe(100);
    expect(deploymentConfiguration.maximumPercent).toBeGreaterThan(100);
  });

  it('gives each app a shutdown grace period above its own shutdown budget', async () => {
    for (const deployment of deployed.filter((d) => d.workload !== 'migrate')) {
      const budgetMs = (await runtimeConfig(deployment)).SHUTDOWN_TIMEOUT_MS as number;
      expect(typeof budgetMs, `${deployment.workload}: SHUTDOWN_TIMEOUT_MS`).toBe('number');
      expect(deployment.graceSeconds, deployment.where).toBeGreaterThanOrEqual(
        budgetMs / 1000 + SHUTDOWN_MARGIN_S,
      );
      // Fargate stops waiting after 120 s whatever stopTimeout says.
      if (deployment.platform === 'ecs')
        expect(deployment.graceSeconds, deployment.where).toBeLessThanOrEqual(120);
      if (deployment.platform === 'render')
        expect(deployment.graceSeconds, deployment.where).toBeLessThanOrEqual(300);
    }
    // ECS stops an api task only after the ALB has drained it: in-flight requests get the same
    // allowance there as after SIGTERM, and a short one keeps deploys quick.
    const apiBudgetMs = (
      await runtimeConfig(deployed.find((d) => d.platform === 'ecs' && d.workload === 'api')!)
    ).SHUTDOWN_TIMEOUT_MS as number;
    const delay = Number(
      ecs.targetGroupAttributes.Attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')
        ?.Value,
    );
    expect(delay).toBeGreaterThanOrEqual(apiBudgetMs / 1000);
    expect(delay).toBeLessThanOrEqual(60);
  });

  it('health-checks only routes the app registers, on the port it listens on', async () => {
    for (const deployment of deployed.filter(
      (d): d is Deployment & { workload: AppName } => d.workload !== 'migrate',
    )) {
      const routes = registeredRoutes(deployment.workload);
      const config = await runtimeConfig(deployment);
      const port = config[WORKLOADS[deployment.workload].portVariable!];
      for (const check of deployment.healthChecks) {
        expect(
          [...routes],
          `${deployment.where}: ${check.path} is not a route of ${deployment.workload}`,
        ).toContain(check.path);
        expect(check.port ?? port, `${deployment.where}: ${check.path} probed on another port`).toBe(port);
      }
    }
  });

  it('routes traffic on readiness and restarts on liveness, where the platform separates them', () => {
    for (const deployment of deployed) {
      for (const check of deployment.healthChecks) {
        // Render's one path does both: readiness, so no instance gets traffic before it is ready.
        if (check.purposes.includes('routing')) expect(check.path, deployment.where).toBe('/ready');
        else if (check.purposes.includes('liveness')) expect(check.path, deployment.where).toBe('/health');
      }
    }
    for (const app of checkedApps()) {
      if (app === 'task-runner') continue; // a worker: nothing routes traffic to it
      expect(
        all.some((d) => d.workload === app && d.healthChecks.some((c) => c.purposes.includes('routing'))),
        `${app} has a readiness check somewhere`,
      ).toBe(true);
    }
  });

  it('builds or pulls images that exist in the repository', () => {
    for (const deployment of deployed) {
      // The migrate command runs in any image that ships it; every app in its own.
      const expected =
        deployment.workload === 'migrate'
          ? Object.keys(MIGRATE_SOURCES)
          : [WORKLOADS[deployment.workload].dockerfile];
      const dockerfile =
        deployment.dockerfile ??
        // <IMAGE_PREFIX>/<app>: the images workflow pushes one per docker/<app>/Dockerfile.
        (deployment.image && `docker/${/\/([a-z-]+)$/.exec(deployment.image)?.[1]}/Dockerfile`);
      expect(dockerfile, `${deployment.where}: builds or pulls nothing`).toBeDefined();
      expect(expected, deployment.where).toContain(dockerfile);
      expect(exists(dockerfile!), `${deployment.where}: ${dockerfile}`).toBe(true);
    }
  });

  it('serves no request on a schema its build does not know', () => {
    for (const app of ['api', 'agent'] as const) {
      // Each app refuses traffic itself until it has seen its migrations applied (the schema
      // gate; the apps' own tests show it on an unmigrated database) …
      expect(read(`apps/${app}/src/app.ts`), app).toMatch(/register\(schemaGatePlugin\b/);
      for (const platform of PLATFORMS) {
        const deployment = all.find((d) => d.platform === platform && d.workload === app)!;
        // … and every platform holds new instances back until they are applied: it routes on
        // /ready (which checks them), or runs a migrate step of the service's own before a new
        // instance starts, or (ECS) deploy.sh migrates before it updates any service.
        const routedOnReadiness = deployment.healthChecks.some(
          (check) => check.path === '/ready' && check.purposes.includes('routing'),
        );
        const ownMigrateStep = all.some(
          (d) =>
            d.platform === platform && d.workload === 'migrate' && d.where.startsWith(`${deployment.where} `),
        );
        expect(routedOnReadiness || ownMigrateStep || platform === 'ecs', deployment.where).toBe(true);
      }
    }
  });

  it('migrates with the one-off command its image ships, before the new version serves', () => {
    for (const source of Object.values(MIGRATE_SOURCES)) {
      expect(exists(source), source).toBe(true);
      expect(read(source), source).toMatch(/import ['"]@repo\/db\/migrate['"]/);
    }
    for (const platform of PLATFORMS) {
      const migrate = all.filter((d) => d.platform === platform && d.workload === 'migrate');
      expect(migrate.length, `${platform} runs the migrate command`).toBeGreaterThan(0);
      for (const deployment of migrate) expect(deployment.command, deployment.where).toBe(MIGRATE_COMMAND);
    }
  });
});
