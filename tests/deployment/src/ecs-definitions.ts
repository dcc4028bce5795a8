import type {
  CreateServiceCommandInput,
  RegisterTaskDefinitionCommandInput,
  UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type {
  CreateTargetGroupCommandInput,
  ModifyLoadBalancerAttributesCommandInput,
  ModifyTargetGroupAttributesCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import agentService from '../../../deploy/aws-ecs/services/agent.json' with { type: 'json' };
import apiService from '../../../deploy/aws-ecs/services/api.json' with { type: 'json' };
import taskRunnerService from '../../../deploy/aws-ecs/services/task-runner.json' with { type: 'json' };
import loadBalancerAttributes from '../../../deploy/aws-ecs/load-balancer-attributes.json' with { type: 'json' };
import targetGroupAttributes from '../../../deploy/aws-ecs/target-group-attributes.json' with { type: 'json' };
import targetGroup from '../../../deploy/aws-ecs/target-group.json' with { type: 'json' };
import agent from '../../../deploy/aws-ecs/task-definitions/agent.json' with { type: 'json' };
import api from '../../../deploy/aws-ecs/task-definitions/api.json' with { type: 'json' };
import migrate from '../../../deploy/aws-ecs/task-definitions/migrate.json' with { type: 'json' };
import taskRunner from '../../../deploy/aws-ecs/task-definitions/task-runner.json' with { type: 'json' };

/**
 * The ECS JSON files, type-checked by `tsc` against the AWS SDK's own request types: the files
 * are what `aws ecs register-task-definition --cli-input-json` / `create-service` receive, and
 * those commands take exactly these shapes.
 *
 * A JSON import is typed with plain `string`s (not the SDK's string-literal enums) and TypeScript
 * does not check a non-literal object for extra keys, so `Conforms` does both by hand: every key
 * must exist in the SDK type (a misspelt key becomes `never`, a compile error), every key the SDK
 * type requires must be present, and every value must have the SDK's primitive type. The enum
 * values themselves are checked at run time against the SDK's enum objects (test/ecs.test.ts).
 */

/** `T` with string-literal unions widened to `string`, as a JSON import types them. */
type Widened<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends readonly (infer E)[]
        ? Widened<E>[]
        : T extends object
          ? { [K in keyof T]?: Widened<T[K]> }
          : T;

/** The keys of `T` that are neither optional nor an index signature. */
type RequiredKeys<T> = {
  [K in keyof T]-?: string extends K
    ? never
    : number extends K
      ? never
      : object extends Pick<T, K>
        ? never
        : K;
}[keyof T];

export type Conforms<A, S> = A extends readonly (infer AE)[]
  ? NonNullable<S> extends readonly (infer SE)[]
    ? readonly Conforms<AE, SE>[]
    : never
  : A extends object
    ? { [K in keyof A]: K extends keyof NonNullable<S> ? Conforms<A[K], NonNullable<S>[K]> : never } & {
        [K in Exclude<RequiredKeys<NonNullable<S>>, keyof A>]: never;
      }
    : A extends Widened<NonNullable<S>>
      ? A
      : never;

type TaskDefinition = RegisterTaskDefinitionCommandInput;
type Service = CreateServiceCommandInput;

export const ecs = {
  taskDefinitions: {
    api: api satisfies Conforms<typeof api, TaskDefinition>,
    'task-runner': taskRunner satisfies Conforms<typeof taskRunner, TaskDefinition>,
    agent: agent satisfies Conforms<typeof agent, TaskDefinition>,
    migrate: migrate satisfies Conforms<typeof migrate, TaskDefinition>,
  },
  services: {
    api: apiService satisfies Conforms<typeof apiService, Service>,
    'task-runner': taskRunnerService satisfies Conforms<typeof taskRunnerService, Service>,
    agent: agentService satisfies Conforms<typeof agentService, Service>,
  },
  targetGroup: targetGroup satisfies Conforms<typeof targetGroup, CreateTargetGroupCommandInput>,
  targetGroupAttributes: targetGroupAttributes satisfies Conforms<
    typeof targetGroupAttributes,
    ModifyTargetGroupAttributesCommandInput
  >,
  loadBalancerAttributes: loadBalancerAttributes satisfies Conforms<
    typeof loadBalancerAttributes,
    ModifyLoadBalancerAttributesCommandInput
  >,
};

/** The container definition as the task definition files write it (all fields optional). */
export type ContainerDefinition = Widened<NonNullable<TaskDefinition['containerDefinitions']>[number]> & {
  image: string;
};

/**
 * What deploy.sh copies from a service file into `aws ecs update-service --cli-input-json` (its
 * jq filter); a test runs the script and checks the update it sends uses only these keys.
 */
export const UPDATE_SERVICE_KEYS = [
  'cluster',
  'service',
  'taskDefinition',
  'desiredCount',
  'deploymentConfiguration',
  'networkConfiguration',
  'loadBalancers',
  'healthCheckGracePeriodSeconds',
  'serviceConnectConfiguration',
  'availabilityZoneRebalancing',
] as const satisfies readonly (keyof UpdateServiceCommandInput)[];
