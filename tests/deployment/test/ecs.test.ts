import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptVariables } from '../src/deploy-script.ts';
import { section, SECTION_TITLES } from '../src/deployment-doc.ts';
import { ecs, type ContainerDefinition } from '../src/ecs-definitions.ts';
import { ecsExampleValues, ECS_EXAMPLE_ENV } from '../src/platforms.ts';
import { filesUnder, placeholdersIn, read, ROOT } from '../src/repository.ts';
import { ecsSdk, elbv2Sdk } from '../src/sdk-enums.ts';

/**
 * The ECS files' shape is type-checked by tsc (src/ecs-definitions.ts). These checks add what a
 * type cannot see: enum values, Fargate's rules, and that every placeholder can be filled in.
 */

const values = (enumObject: Record<string, string>) => Object.values(enumObject);
const {
  ApplicationProtocol,
  AssignPublicIp,
  AvailabilityZoneRebalancing,
  Compatibility,
  CPUArchitecture,
  DeploymentControllerType,
  LaunchType,
  LogDriver,
  NetworkMode,
  OSFamily,
  PropagateTags,
  TransportProtocol,
} = ecsSdk;
const { ProtocolEnum, TargetTypeEnum } = elbv2Sdk;
const taskDefinitions = Object.entries(ecs.taskDefinitions);
const services = Object.entries(ecs.services);

/** Valid Fargate task sizes: cpu units → memory MiB (docs: task-cpu-memory-error.html). */
function fargateMemoryOptions(cpu: number): number[] {
  const range = (from: number, to: number, step: number) =>
    Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16384, 1024);
    case 4096:
      return range(8192, 30720, 1024);
    case 8192:
      return range(16384, 61440, 4096);
    case 16384:
      return range(32768, 122880, 8192);
    default:
      return [];
  }
}

describe('ECS task definitions', () => {
  it.each(taskDefinitions)('%s uses only values the ECS API accepts', (_name, definition) => {
    expect(values(Compatibility)).toEqual(expect.arrayContaining(definition.requiresCompatibilities));
    expect(values(NetworkMode)).toContain(definition.networkMode);
    expect(values(OSFamily)).toContain(definition.runtimePlatform.operatingSystemFamily);
    expect(values(CPUArchitecture)).toContain(definition.runtimePlatform.cpuArchitecture);
    for (const container of definition.containerDefinitions as ContainerDefinition[]) {
      expect(values(LogDriver)).toContain(container.logConfiguration?.logDriver);
      for (const mapping of container.portMappings ?? []) {
        expect(values(TransportProtocol)).toContain(mapping.protocol);
        expect(values(ApplicationProtocol)).toContain(mapping.appProtocol);
      }
    }
  });

  it.each(taskDefinitions)('%s is a valid Fargate task: awsvpc, a valid size', (_name, definition) => {
    expect(definition.requiresCompatibilities).toEqual(['FARGATE']);
    expect(definition.networkMode).toBe('awsvpc');
    expect(fargateMemoryOptions(Number(definition.cpu))).toContain(Number(definition.memory));
  });

  it.each(taskDefinitions)(
    '%s runs hardened: non-root, read-only root, logs to CloudWatch',
    (_name, definition) => {
      expect(definition.containerDefinitions).toHaveLength(1);
      const container = definition.containerDefinitions[0] as ContainerDefinition;
      expect(container.essential).toBe(true);
      expect(container.user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/); // a uid, never 0/root
      expect(container.readonlyRootFilesystem).toBe(true);
      // No scratch volume: a Fargate bind mount is root-owned (0755) unless the image declares the
      // path, so the node user could not write to it anyway, and nothing writes to /tmp (below).
      expect('volumes' in definition, 'volumes').toBe(false);
      expect(container.mountPoints, 'mountPoints').toBeUndefined();
      expect(container.logConfiguration?.logDriver).toBe('awslogs');
      expect(container.logConfiguration?.options?.['awslogs-region']).toBe('${AWS_REGION}');
      expect(container.stopTimeout).toBeGreaterThan(0);
    },
  );

  it('pull with the registry credentials deploy.sh is given (private GHCR packages), every one', () => {
    for (const [name, definition] of taskDefinitions) {
      const container = definition.containerDefinitions[0] as ContainerDefinition;
      expect(container.repositoryCredentials, name).toEqual({
        credentialsParameter: '${REGISTRY_CREDENTIALS_ARN}',
      });
    }
  });

  it('runs the migrate task from the task-runner image with the migrate command', () => {
    const migrate = ecs.taskDefinitions.migrate.containerDefinitions[0]!;
    const runner = ecs.taskDefinitions['task-runner'].containerDefinitions[0]!;
    expect(migrate.image).toBe(runner.image);
    expect(migrate.command).toEqual(['node', 'dist/migrate.js']);
    expect(migrate.name).toBe('migrate'); // deploy.sh reads this container's exit code
  });
});

describe('ECS services', () => {
  it.each(services)('%s uses only values the ECS API accepts', (_name, service) => {
    expect(values(LaunchType)).toContain(service.launchType);
    expect(values(DeploymentControllerType)).toContain(service.deploymentController.type);
    expect(values(AssignPublicIp)).toContain(service.networkConfiguration.awsvpcConfiguration.assignPublicIp);
    expect(values(PropagateTags)).toContain(service.propagateTags);
  });

  it.each(services)(
    '%s runs its own task family in private subnets, with rollback on failure',
    (name, service) => {
      expect(service.serviceName).toBe(`keelson-${name}`);
      expect(service.taskDefinition).toBe(ecs.taskDefinitions[name as keyof typeof ecs.services].family);
      expect(service.networkConfiguration.awsvpcConfiguration.assignPublicIp).toBe('DISABLED');
      expect(service.deploymentConfiguration.deploymentCircuitBreaker).toEqual({
        enable: true,
        rollback: true,
      });
    },
  );

  it('never rebalances a service across zones that cannot start a task before stopping one', () => {
    // CreateService defaults availabilityZoneRebalancing to ENABLED; AWS lists a service with
    // maximumPercent 100 as unsupported for it (a rebalance starts the new task first).
    for (const [name, service] of services) {
      if (service.deploymentConfiguration.maximumPercent > 100) continue;
      expect((service as { availabilityZoneRebalancing?: string }).availabilityZoneRebalancing, name).toBe(
        AvailabilityZoneRebalancing.DISABLED,
      );
    }
  });

  it('rolls the task-runner like the agent: new tasks work before old ones stop, spread across zones', () => {
    // Every replica processes jobs and the Postgres leader lock keeps one leader, so an overlap
    // is harmless and a gap would stop the work.
    const runner = ecs.services['task-runner'];
    expect(runner.desiredCount).toBeGreaterThanOrEqual(2);
    expect(runner.deploymentConfiguration).toMatchObject({ maximumPercent: 200, minimumHealthyPercent: 100 });
    expect((runner as { availabilityZoneRebalancing?: string }).availabilityZoneRebalancing).toBe(
      AvailabilityZoneRebalancing.ENABLED,
    );
  });

  it('is described by deployment.md as the files set it (replicas, rollout, zone rebalancing)', () => {
    const doc = (section(SECTION_TITLES.ecs) ?? '').replace(/\s+/g, ' ');
    const runner = ecs.services['task-runner'];
    const rebalancing = (runner as { availabilityZoneRebalancing?: string }).availabilityZoneRebalancing;
    expect(doc).toContain(
      `It updates the **task-runner** (\`desiredCount: ${runner.desiredCount}\`, \`maximumPercent: ${runner.deploymentConfiguration.maximumPercent}\`, \`minimumHealthyPercent: ${runner.deploymentConfiguration.minimumHealthyPercent}\``,
    );
    expect(doc).toContain(`\`availabilityZoneRebalancing: ${rebalancing}\``);
    expect(doc).not.toMatch(/singleton/i);
  });

  it('puts only the api behind the load balancer, on its container port, with a start-up grace', () => {
    const api = ecs.services.api;
    const container = ecs.taskDefinitions.api.containerDefinitions[0]!;
    expect(api.loadBalancers).toEqual([
      { targetGroupArn: '${API_TARGET_GROUP_ARN}', containerName: container.name, containerPort: 3000 },
    ]);
    expect(container.portMappings.map((m) => m.containerPort)).toContain(api.loadBalancers[0]!.containerPort);
    expect(api.healthCheckGracePeriodSeconds).toBeGreaterThan(0);
    expect('loadBalancers' in ecs.services.agent || 'loadBalancers' in ecs.services['task-runner']).toBe(
      false,
    );
  });

  it.each(['agent', 'api'] as const)(
    'exposes the %s inside the cluster through Service Connect, on its named container port',
    (name) => {
      const { serviceConnectConfiguration } = ecs.services[name];
      const container = ecs.taskDefinitions[name].containerDefinitions[0]!;
      const [server] = serviceConnectConfiguration.services;
      expect(serviceConnectConfiguration.services).toHaveLength(1);
      const port = container.portMappings.find((m) => m.name === server!.portName);
      expect(port?.appProtocol, 'http: Service Connect applies its HTTP timeouts').toBe('http');
      expect(server!.discoveryName).toBe(name);
      expect(server!.clientAliases).toEqual([{ port: port!.containerPort, dnsName: name }]);
    },
  );

  it('puts every service in one Service Connect namespace (clients resolve only their own namespace)', () => {
    const namespaces = Object.values(ecs.services).map((s) => s.serviceConnectConfiguration);
    for (const config of namespaces) expect(config).toMatchObject({ enabled: true });
    expect(new Set(namespaces.map((c) => c.namespace))).toEqual(new Set(['${SERVICE_CONNECT_NAMESPACE}']));
    // The task-runner serves nothing; it is a client only.
    expect(ecs.services['task-runner'].serviceConnectConfiguration).not.toHaveProperty('services');
  });

  it('gives the api target group a readiness check on the api port', () => {
    expect(values(ProtocolEnum)).toContain(ecs.targetGroup.Protocol);
    expect(values(TargetTypeEnum)).toContain(ecs.targetGroup.TargetType);
    expect(ecs.targetGroup.TargetType).toBe('ip'); // awsvpc tasks register by IP
    expect(ecs.targetGroup.Port).toBe(ecs.services.api.loadBalancers[0]!.containerPort);
  });
});

describe('ECS placeholders', () => {
  const templates = filesUnder('deploy/aws-ecs', '.json');
  const { required, optional } = scriptVariables();

  it('are all filled by deploy.sh and documented with an example in example.env', () => {
    const example = Object.keys(ecsExampleValues());
    for (const file of templates) {
      for (const name of placeholdersIn(read(file))) {
        expect([...required, ...optional], `${file}: \${${name}}`).toContain(name);
        if (name !== 'IMAGE_TAG') expect(example, `${ECS_EXAMPLE_ENV}: ${name}`).toContain(name);
      }
    }
    // …and deploy.sh asks for nothing example.env does not explain.
    for (const name of [...required, ...optional])
      if (name !== 'IMAGE_TAG') expect(example, name).toContain(name);
  });
});

describe('deployment.md on ECS', () => {
  it('asks for a NAT gateway (the model provider and GHCR are on the internet), endpoints only besides it', async () => {
    // The agent's model is a hosted provider here, reached over the internet.
    const agent = ecs.taskDefinitions.agent.containerDefinitions[0]!;
    const model = agent.environment.find((variable) => variable.name === 'AGENT_MODEL')?.value;
    expect(model).toMatch(/^(openai|anthropic|google):/);
    const text = section(SECTION_TITLES.ecs)!;
    const network = /^1\. A VPC[\s\S]*?(?=^2\. )/m.exec(text)?.[0] ?? '';
    expect(network).toMatch(/NAT gateway/);
    expect(network).not.toMatch(/NAT,? or VPC endpoints/);
    // ECR through endpoints also needs S3, where image layers live.
    expect(network).toMatch(/`ecr\.api`/);
    expect(network).toMatch(/`ecr\.dkr`/);
    expect(network).toMatch(/S3 gateway endpoint/);
  });
});

describe('the apps on a read-only root', () => {
  it('never write to the OS temp directory (the ECS tasks have no writable /tmp)', () => {
    // Everything that goes into an image: the apps and the workspace packages they ship (not the
    // test helpers). The production dependencies were checked in the built images: only their
    // own test files use os.tmpdir().
    const sources = (dir: string) =>
      readdirSync(join(ROOT, dir)).flatMap((name) => filesUnder(`${dir}/${name}/src`, '.ts'));
    const shipped = [...sources('apps'), ...sources('packages')].filter(
      (file) => !file.startsWith('packages/testing/'),
    );
    expect(shipped.length).toBeGreaterThan(20);
    for (const file of shipped) expect(read(file), file).not.toMatch(/\btmpdir\(|mkdtemp|['"`]\/tmp\b/);
  });
});
