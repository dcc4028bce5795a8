import { describe, expect, it } from 'vitest';
import { ecs, type ContainerDefinition } from '../src/ecs-definitions.ts';
import { ecsSdk, elbv2Sdk } from '../src/sdk-enums.ts';
import { ecsExampleValues, ECS_EXAMPLE_ENV } from '../src/platforms.ts';
import { filesUnder, placeholdersIn, read } from '../src/repository.ts';

/**
 * The ECS files' shape is type-checked by tsc (src/ecs-definitions.ts). These checks add what a
 * type cannot see: enum values, Fargate's rules, and that every placeholder can be filled in.
 */

const values = (enumObject: Record<string, string>) => Object.values(enumObject);
const {
  ApplicationProtocol,
  AssignPublicIp,
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
      // The read-only root keeps a writable scratch /tmp, backed by a task volume.
      const tmp = container.mountPoints?.find((mount) => mount.containerPath === '/tmp');
      expect(definition.volumes.map((volume) => volume.name)).toContain(tmp?.sourceVolume);
      expect(container.logConfiguration?.logDriver).toBe('awslogs');
      expect(container.logConfiguration?.options?.['awslogs-region']).toBe('${AWS_REGION}');
      expect(container.stopTimeout).toBeGreaterThan(0);
    },
  );

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
  const script = read('deploy/aws-ecs/deploy.sh');
  const scriptVariables = /^VARIABLES=\(([^)]*)\)/m.exec(script)![1]!.split(/\s+/).filter(Boolean);

  it('are all filled by deploy.sh and documented with an example in example.env', () => {
    const example = Object.keys(ecsExampleValues());
    for (const file of templates) {
      for (const name of placeholdersIn(read(file))) {
        expect(scriptVariables, `${file}: \${${name}}`).toContain(name);
        if (name !== 'IMAGE_TAG') expect(example, `${ECS_EXAMPLE_ENV}: ${name}`).toContain(name);
      }
    }
    // …and deploy.sh asks for nothing example.env does not explain.
    for (const name of scriptVariables) if (name !== 'IMAGE_TAG') expect(example, name).toContain(name);
  });
});
