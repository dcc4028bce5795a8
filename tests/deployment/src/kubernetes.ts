import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { kustomize } from './kubectl.ts';
import { ROOT } from './repository.ts';

/**
 * deploy/kubernetes rendered as a cluster would receive it, and checked against the Kubernetes
 * API of a current release, offline: the JSON schemas and TypeScript types of `kubernetes-models`
 * 5.x (generated from Kubernetes v1.36.0's OpenAPI) and of `@kubernetes-models/prometheus-operator`
 * (the Prometheus Operator's CRDs).
 */

export const KUBERNETES_DIR = 'deploy/kubernetes';
export const OVERLAYS = ['production', 'staging'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [field: string]: unknown;
}

const rendered = new Map<Overlay, KubeObject[]>();

/** The objects `kubectl apply -k deploy/kubernetes/overlays/<overlay>` would send. */
export function render(overlay: Overlay): KubeObject[] {
  let objects = rendered.get(overlay);
  if (!objects) {
    const text = kustomize(join(ROOT, KUBERNETES_DIR, 'overlays', overlay));
    objects = parseAllDocuments(text).map((document) => {
      if (document.errors.length > 0) throw new Error(`${overlay}: ${document.errors[0]!.message}`);
      return document.toJS() as KubeObject;
    });
    rendered.set(overlay, objects);
  }
  return objects;
}

/**
 * The API groups and versions the manifests may use: GA in Kubernetes 1.36 (the schemas also
 * hold removed ones, such as autoscaling/v2beta2, which a current cluster refuses), plus the
 * Prometheus Operator's.
 */
const MODELS: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

export const modelModule = (object: Pick<KubeObject, 'apiVersion' | 'kind'>): string | undefined => {
  const base = MODELS[object.apiVersion];
  return base && `${base}/${object.kind}`;
};

/** Validates against the JSON schema of the object's API version and kind; the errors, if any. */
export async function schemaErrors(object: KubeObject): Promise<string[]> {
  const module = modelModule(object);
  if (!module) return [`${object.apiVersion} ${object.kind} is not an API this repository deploys to`];
  const exports = (await import(module)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = exports[object.kind];
  if (!Model) return [`${module} exports no ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * Unknown fields, the way `kubectl apply` (strict field validation) refuses them: every object is
 * written as a literal of its kind's TypeScript interface, and the compiler's excess-property and
 * type checks run over it. The JSON schemas alone accept any extra field (the OpenAPI has no
 * `additionalProperties: false`), so a misspelt `readinesProbe` would pass them.
 */
export function typeErrors(objects: readonly KubeObject[]): string[] {
  const require = createRequire(import.meta.url);
  // Inside this package's node_modules, so the models resolve as they do for the tests.
  const dir = join(
    dirname(require.resolve('kubernetes-models/package.json')),
    '..',
    '.cache',
    'keelson-k8s-types',
  );
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `objects-${process.pid}.ts`);
  const lines = objects.map((object, i) => {
    const module = modelModule(object);
    if (!module) return `// ${object.kind} ${object.metadata.name}: no model`;
    return `import type { I${object.kind} as T${i} } from '${module}';\nexport const o${i}: T${i} = ${JSON.stringify(object)};`;
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const line =
      diagnostic.file && diagnostic.start !== undefined
        ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line
        : undefined;
    const index = line === undefined ? undefined : Math.floor(line / 2);
    const object = index === undefined ? undefined : objects[index];
    return `${object ? `${object.kind} ${object.metadata.name}: ` : ''}${message}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Pods: the shapes the invariants read (every field optional, as in the API).

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
export interface Probe {
  httpGet?: { path: string; port: number | string };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
  };
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  volumes?: {
    name: string;
    secret?: { secretName: string; items?: { key: string; path: string }[] };
    emptyDir?: { medium?: string; sizeLimit?: string };
  }[];
}
export interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

/** Every workload's pod template (Deployments and Jobs), by the workload object. */
export function podTemplates(objects: readonly KubeObject[]): { owner: KubeObject; template: PodTemplate }[] {
  return objects
    .filter((object) => ['Deployment', 'Job', 'StatefulSet', 'DaemonSet', 'CronJob'].includes(object.kind))
    .map((owner) => {
      const spec = owner.spec as {
        template?: PodTemplate;
        jobTemplate?: { spec: { template: PodTemplate } };
      };
      return { owner, template: spec.template ?? spec.jobTemplate!.spec.template };
    });
}

export const find = (objects: readonly KubeObject[], kind: string, name: string): KubeObject | undefined =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);

/** Does a label selector (`matchLabels` only, as the manifests write them) select these labels? */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

/** Kubernetes quantities compared as numbers: CPU in cores, memory in bytes. */
export function quantity(value: string | number): number {
  const text = String(value);
  const match = /^([0-9.]+)(m|Ki|Mi|Gi|k|M|G)?$/.exec(text);
  if (!match) throw new Error(`not a quantity: ${text}`);
  const factor: Record<string, number> = {
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1);
}
