import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  configFacts,
  loaderOf,
  MIGRATE_COMMAND,
  placeholderFor,
  problemsOf,
  registeredRoutes,
  WORKLOADS,
  type AppName,
  type Env,
  type Workload,
} from '../src/apps.ts';
import { kubectlVersion } from '../src/kubectl.ts';
import {
  find,
  OVERLAYS,
  podTemplates,
  quantity,
  render,
  schemaErrors,
  selects,
  typeErrors,
  type Container,
  type KubeObject,
  type PodTemplate,
} from '../src/kubernetes.ts';
import { DEPLOYMENT_DOC, section, SECTION_TITLES } from '../src/deployment-doc.ts';
import { exists, read } from '../src/repository.ts';

/**
 * deploy/kubernetes, every overlay rendered with Kustomize (kubectl 1.35) and checked offline:
 * against the API schemas and types of Kubernetes 1.36 and the Prometheus Operator's CRDs, then
 * against the apps' own code (their config schemas, routes and ports) and compose.yaml's limits.
 */

const APPS: readonly AppName[] = ['api', 'task-runner', 'agent'];
/** An app's container and pod, by the app's name (Deployments are named after the apps). */
const WORKLOAD_OF: Record<string, Workload> = {
  api: 'api',
  'task-runner': 'task-runner',
  agent: 'agent',
  migrate: 'migrate',
};
/** SIGTERM → SIGKILL must exceed the app's budget (and a preStop pause) by this much, as on every platform. */
const SHUTDOWN_MARGIN_S = 10;

// compose.yaml's prod limits: what one app container gets there.
const compose = parse(read('compose.yaml'), { merge: true }) as {
  services: Record<
    string,
    {
      deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
      environment?: Record<string, string>;
    }
  >;
};
/** Docker's memory units are binary: 512M is 512 MiB. */
const dockerBytes = (value: string) => {
  const match = /^(\d+)([kmg])?$/i.exec(value)!;
  return Number(match[1]) * 1024 ** ['', 'k', 'm', 'g'].indexOf((match[2] ?? '').toLowerCase());
};

const containerOf = (template: PodTemplate): Container => template.spec.containers[0]!;
const appTemplates = (objects: KubeObject[]) =>
  podTemplates(objects).map(({ owner, template }) => ({
    owner,
    template,
    workload: WORKLOAD_OF[owner.metadata.name],
  }));

/**
 * The environment a container's process gets: its literals, the ConfigMaps it loads, and for every
 * NAME_FILE pointing into a mounted Secret item a placeholder for NAME (the file's content).
 * Unresolvable references are reported.
 */
function environmentOf(objects: KubeObject[], template: PodTemplate): { env: Env; problems: string[] } {
  const container = containerOf(template);
  const env: Env = {};
  const problems: string[] = [];
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const configMap = find(objects, 'ConfigMap', source.configMapRef.name);
      if (!configMap) problems.push(`ConfigMap ${source.configMapRef.name} is not rendered`);
      Object.assign(env, configMap?.data ?? {});
    }
  }
  const mounted = new Map<string, Set<string>>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = template.spec.volumes?.find((v) => v.name === mount.name);
    if (volume?.secret)
      mounted.set(mount.mountPath, new Set((volume.secret.items ?? []).map((item) => item.path)));
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom) {
      problems.push(`${variable.name}: a secret belongs in a file (NAME_FILE), not the environment`);
      continue;
    }
    const value = variable.value ?? '';
    if (variable.name.endsWith('_FILE')) {
      const [dir, file] = [value.slice(0, value.lastIndexOf('/')), value.slice(value.lastIndexOf('/') + 1)];
      if (!mounted.get(dir)?.has(file))
        problems.push(`${variable.name}: ${value} is not a mounted Secret item`);
      env[variable.name.slice(0, -'_FILE'.length)] = placeholderFor(variable.name.slice(0, -'_FILE'.length));
    } else env[variable.name] = value;
  }
  return { env, problems };
}

describe.each(OVERLAYS)('deploy/kubernetes/overlays/%s', (overlay) => {
  const objects = render(overlay);
  const templates = appTemplates(objects);

  it(`renders with Kustomize (kubectl ${kubectlVersion()}) into one namespace, with every app and the migration Job`, () => {
    const namespaces = new Set(
      objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace),
    );
    expect(namespaces.size).toBe(1);
    expect(find(objects, 'Namespace', [...namespaces][0]!)).toBeDefined();
    for (const app of APPS) {
      expect(find(objects, 'Deployment', app), app).toBeDefined();
      expect(find(objects, 'Service', app), app).toBeDefined();
      expect(find(objects, 'PodDisruptionBudget', app), app).toBeDefined();
      expect(find(objects, 'ServiceMonitor', app), app).toBeDefined();
    }
    expect(find(objects, 'HorizontalPodAutoscaler', 'api')).toBeDefined();
    expect(find(objects, 'Job', 'migrate')).toBeDefined();
  });

  it('is valid against the Kubernetes 1.36 API schemas and the Prometheus Operator CRDs', async () => {
    for (const object of objects) {
      expect(await schemaErrors(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    }
  });

  it('has no field the API does not know (strict field validation, as kubectl apply does)', () => {
    expect(typeErrors(objects)).toEqual([]);
  });

  it('commits no secret: Secrets are referenced by name, never rendered', () => {
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    for (const { owner, template } of templates) {
      for (const volume of template.spec.volumes ?? []) {
        if (volume.secret) expect(volume.secret.secretName, owner.metadata.name).toMatch(/^keelson/);
      }
    }
  });

  it('runs every container as non-root, read-only, without capabilities or privilege escalation (PSA restricted)', () => {
    const namespace = objects.find((o) => o.kind === 'Namespace')!;
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const { owner, template } of templates) {
      const pod = template.spec;
      const where = `${owner.kind} ${owner.metadata.name}`;
      expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
      expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
      expect(pod.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken, where).toBe(false);
      expect(pod.hostNetwork ?? false, where).toBe(false);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(container.securityContext, `${where} ${container.name}`).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.securityContext?.capabilities?.add ?? [], where).toEqual([]);
        expect(container.securityContext?.privileged ?? false, where).toBe(false);
      }
    }
  });

  it('probes only routes the app serves, on the port it listens on: startup, liveness /health, readiness /ready', async () => {
    for (const { owner, template, workload } of templates) {
      if (owner.kind !== 'Deployment') continue;
      const app = workload as AppName;
      const container = containerOf(template);
      const routes = registeredRoutes(app);
      const { env } = environmentOf(objects, template);
      const port = (await loaderOf(app))(env)[WORKLOADS[app].portVariable!];
      const portOf = (value: number | string) =>
        typeof value === 'number' ? value : container.ports?.find((p) => p.name === value)?.containerPort;
      const probes = {
        startup: container.startupProbe,
        liveness: container.livenessProbe,
        readiness: container.readinessProbe,
      };
      for (const [kind, probe] of Object.entries(probes)) {
        expect(probe?.httpGet, `${app}: ${kind} probe`).toBeDefined();
        expect([...routes], `${app}: ${kind} probe on ${probe!.httpGet!.path}`).toContain(
          probe!.httpGet!.path,
        );
        expect(portOf(probe!.httpGet!.port), `${app}: ${kind} probe port`).toBe(port);
      }
      expect(container.livenessProbe!.httpGet!.path, app).toBe('/health');
      expect(container.readinessProbe!.httpGet!.path, app).toBe('/ready');
    }
  });

  it('gives every app (and the migration Job) an environment its production config accepts, secrets as files', async () => {
    expect(templates.map((t) => t.workload).sort()).toEqual(['agent', 'api', 'migrate', 'task-runner']);
    for (const { owner, template, workload } of templates) {
      const { env, problems } = environmentOf(objects, template);
      const where = `${owner.kind} ${owner.metadata.name}`;
      expect(problems, where).toEqual([]);
      expect(env.NODE_ENV, where).toBe('production');
      const facts = await configFacts(workload!);
      for (const name of facts.required)
        expect(Object.keys(env), `${where} requires ${name}`).toContain(name);
      // A secret is only ever a file: NAME_FILE, mounted from a Secret.
      for (const name of facts.secrets) {
        expect(containerOf(template).env?.some((v) => v.name === name) ?? false, `${where}: ${name}`).toBe(
          false,
        );
      }
      expect(problemsOf(await loaderOf(workload!), env), where).toEqual([]);
    }
  });

  it("sizes each app as compose.yaml's prod profile does: requests = limits = its limits, the same heap ceiling", () => {
    for (const app of APPS) {
      const service = compose.services[`${app}-prod`]!;
      const limits = service.deploy!.resources!.limits!;
      const { template } = templates.find((t) => t.owner.metadata.name === app)!;
      const container = containerOf(template);
      expect(quantity(container.resources!.limits!.cpu!), app).toBe(Number(limits.cpus));
      expect(quantity(container.resources!.limits!.memory!), app).toBe(dockerBytes(limits.memory!));
      expect(container.resources!.requests, app).toEqual(container.resources!.limits);
      const heap = container.env?.find((v) => v.name === 'NODE_OPTIONS')?.value;
      expect(heap, app).toBe(service.environment?.NODE_OPTIONS);
      // The in-memory /tmp of a read-only root, as compose's tmpfs.
      const tmp = template.spec.volumes?.find((v) => v.name === 'tmp');
      expect(tmp?.emptyDir, app).toMatchObject({ medium: 'Memory' });
    }
  });

  it('gives each app a grace period above its preStop pause and shutdown budget', async () => {
    for (const { owner, template, workload } of templates) {
      if (owner.kind !== 'Deployment') continue;
      const { env } = environmentOf(objects, template);
      const budgetMs = (await loaderOf(workload!))(env).SHUTDOWN_TIMEOUT_MS as number;
      const pause = containerOf(template).lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(template.spec.terminationGracePeriodSeconds, owner.metadata.name).toBeGreaterThanOrEqual(
        pause + budgetMs / 1000 + SHUTDOWN_MARGIN_S,
      );
    }
  });

  it('scrapes every app where it serves /metrics, with one ServiceMonitor per app', async () => {
    for (const app of APPS) {
      const monitor = find(objects, 'ServiceMonitor', app)!;
      const spec = monitor.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
      const services = objects.filter(
        (o) => o.kind === 'Service' && selects(spec.selector.matchLabels, o.metadata.labels ?? {}),
      );
      expect(
        services.map((s) => s.metadata.name),
        app,
      ).toEqual([app]);
      const service = services[0]!.spec as {
        selector: Record<string, string>;
        ports: { name: string; targetPort: string | number }[];
      };
      const { template } = templates.find((t) => t.owner.metadata.name === app)!;
      expect(
        selects(service.selector, template.metadata.labels),
        `${app}: the Service selects its pods`,
      ).toBe(true);
      const { env } = environmentOf(objects, template);
      const config = (await loaderOf(app))(env);
      // Where /metrics is served: a port of its own when the app's config has one, else its port.
      const port = config.METRICS_PORT ?? config[WORKLOADS[app].portVariable!];
      for (const endpoint of spec.endpoints) {
        expect([...registeredRoutes(app)], app).toContain(endpoint.path);
        const target = service.ports.find((p) => p.name === endpoint.port)?.targetPort;
        const containerPort = containerOf(template).ports?.find(
          (p) => p.name === target || p.containerPort === target,
        );
        expect(containerPort?.containerPort, `${app}: scraped port`).toBe(port);
      }
    }
  });

  it('calls the agent and the api at their Services, on the ports they listen on', () => {
    const urlOf = (app: string, name: string) => {
      const { template } = templates.find((t) => t.owner.metadata.name === app)!;
      return new URL(containerOf(template).env!.find((v) => v.name === name)!.value!);
    };
    const servicePort = (name: string) =>
      (find(objects, 'Service', name)!.spec as { ports: { port: number }[] }).ports[0]!.port;
    for (const [caller, variable, target] of [
      ['api', 'AGENT_URL', 'agent'],
      ['task-runner', 'AGENT_URL', 'agent'],
      ['agent', 'API_MCP_URL', 'api'],
    ] as const) {
      const url = urlOf(caller, variable);
      expect(url.hostname, `${caller} ${variable}`).toBe(target);
      expect(Number(url.port), `${caller} ${variable}`).toBe(servicePort(target));
    }
  });

  it('lets only the api be reached from outside, and only the apps reach Postgres and Redis', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    interface Rule {
      from?: unknown[];
      to?: { ipBlock?: { cidr: string } }[];
      ports?: { port: number }[];
    }
    interface Policy {
      podSelector: { matchLabels?: Record<string, string> };
      policyTypes: string[];
      ingress?: Rule[];
      egress?: Rule[];
    }
    const spec = (o: KubeObject) => o.spec as unknown as Policy;
    // Default deny, both ways, for every pod of the namespace.
    expect(
      policies.some(
        (p) =>
          Object.keys(spec(p).podSelector.matchLabels ?? {}).length === 0 &&
          spec(p).policyTypes.includes('Ingress') &&
          spec(p).policyTypes.includes('Egress') &&
          !spec(p).ingress &&
          !spec(p).egress,
      ),
    ).toBe(true);
    const pods = templates.map(({ owner, template }) => ({
      name: owner.metadata.name,
      labels: template.metadata.labels,
    }));
    const podsOf = (policy: Policy) =>
      pods
        .filter((pod) => selects(policy.podSelector.matchLabels, pod.labels))
        .map((pod) => pod.name)
        .sort();
    // Ingress from anywhere (a rule without `from`): the api's pods only.
    const open = policies.filter((p) => spec(p).ingress?.some((rule) => !rule.from));
    expect(open.flatMap((p) => podsOf(spec(p)))).toEqual(['api']);
    // Egress to the Postgres and Redis ports: only the pods of apps that read those URLs.
    const reaching = (port: number) =>
      [
        ...new Set(
          policies
            .filter((p) => spec(p).egress?.some((rule) => rule.ports?.some((r) => r.port === port)))
            .flatMap((p) => podsOf(spec(p))),
        ),
      ].sort();
    expect(reaching(5432)).toEqual(['agent', 'api', 'migrate', 'task-runner']);
    expect(reaching(6379)).toEqual(['agent', 'api', 'task-runner']);
    for (const port of [5432, 6379]) {
      for (const policy of policies.filter((p) =>
        spec(p).egress?.some((rule) => rule.ports?.some((r) => r.port === port)),
      )) {
        // Addresses, not "anywhere": the managed services are outside the cluster.
        for (const rule of spec(policy).egress!)
          for (const to of rule.to ?? []) expect(to.ipBlock?.cidr).not.toBe('0.0.0.0/0');
      }
    }
  });

  it('migrates with the one-off command of the task-runner image, before the rollout', () => {
    const job = find(objects, 'Job', 'migrate')!;
    const template = (job.spec as { template: PodTemplate }).template;
    const container = containerOf(template);
    const runner = containerOf(templates.find((t) => t.owner.metadata.name === 'task-runner')!.template);
    expect(container.image).toBe(runner.image);
    // `args`: the image's entrypoint (tini) stays PID 1.
    expect(container.command).toBeUndefined();
    expect(container.args?.join(' ')).toBe(MIGRATE_COMMAND);
    // Argo CD runs it as a PreSync hook; kubectl users apply what carries the phase label first,
    // so everything the Job needs carries it too.
    expect(job.metadata.annotations?.['argocd.argoproj.io/hook']).toBe('PreSync');
    expect(job.metadata.annotations?.['argocd.argoproj.io/hook-delete-policy']).toBe('BeforeHookCreation');
    expect(job.metadata.labels?.['keelson/rollout-phase']).toBe('pre');
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef)
        expect(
          find(objects, 'ConfigMap', source.configMapRef.name)?.metadata.labels?.['keelson/rollout-phase'],
        ).toBe('pre');
    }
  });

  it('scales the api and the task-runner by autoscalers and keeps one replica up through disruptions', () => {
    for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
      const spec = hpa.spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      const target = find(objects, spec.scaleTargetRef.kind, spec.scaleTargetRef.name);
      expect(target, hpa.metadata.name).toBeDefined();
      // The autoscaler owns the count: a `replicas` in the Deployment would reset it on every apply.
      expect((target!.spec as { replicas?: number }).replicas, hpa.metadata.name).toBeUndefined();
      expect(spec.maxReplicas).toBeGreaterThanOrEqual(spec.minReplicas);
    }
    expect(find(objects, 'HorizontalPodAutoscaler', 'task-runner')).toBeDefined();
    if (overlay === 'production') {
      // A leader and at least one more working replica that takes its duties over.
      expect(
        (find(objects, 'HorizontalPodAutoscaler', 'task-runner')!.spec as { minReplicas: number })
          .minReplicas,
      ).toBeGreaterThanOrEqual(2);
      expect(
        (find(objects, 'HorizontalPodAutoscaler', 'api')!.spec as { minReplicas: number }).minReplicas,
      ).toBeGreaterThanOrEqual(2);
    }
    for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels;
      expect(
        templates
          .filter((t) => selects(selector, t.template.metadata.labels))
          .map((t) => t.owner.metadata.name),
      ).toEqual([pdb.metadata.name]);
    }
  });

  it('gives the api and the task-runner the same bucket (keelson-config) and its key as Secret files; the agent none', () => {
    const s3Of = (workload: string) => {
      const found = templates.find((t) => t.workload === workload)!;
      const { env } = environmentOf(objects, found.template);
      const files = (containerOf(found.template).env ?? [])
        .map((v) => v.name)
        .filter((n) => n.startsWith('S3_'));
      return { env, files };
    };
    const api = s3Of('api');
    const runner = s3Of('task-runner');
    for (const { env, files } of [api, runner]) {
      expect(env.S3_BUCKET).toMatch(/^[a-z0-9-]{3,63}$/);
      expect(env.S3_REGION).toBeTruthy();
      // The key is a file from the Secret, never a value in the pod spec.
      expect(files.sort()).toEqual(['S3_ACCESS_KEY_ID_FILE', 'S3_SECRET_ACCESS_KEY_FILE']);
    }
    expect(runner.env.S3_BUCKET).toBe(api.env.S3_BUCKET);
    expect(runner.env.S3_REGION).toBe(api.env.S3_REGION);
    expect(runner.env.S3_ENDPOINT).toBe(api.env.S3_ENDPOINT);
    // The agent loads keelson-config too, but reads no S3_* variable and mounts no key.
    expect(s3Of('agent').files).toEqual([]);
    // Only the pods that store files may reach the object storage's HTTPS port.
    const policy = find(objects, 'NetworkPolicy', 'object-storage')!;
    const selector = (policy.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector;
    const selected = templates
      .filter((t) => selects(selector.matchLabels, t.template.metadata.labels))
      .map((t) => t.workload)
      .sort();
    expect(selected).toEqual(['api', 'task-runner']);
  });

  it('pulls each app from its own image, at a release tag', () => {
    for (const { owner, template, workload } of templates) {
      const image = containerOf(template).image;
      const app = workload === 'migrate' ? 'task-runner' : workload!;
      expect(image, owner.metadata.name).toMatch(new RegExp(`/${app}:\\d+\\.\\d+\\.\\d+(-[\\w.]+)?$`));
      expect(exists(WORKLOADS[app].dockerfile)).toBe(true);
    }
  });
});

describe('deployment.md, "Kubernetes"', () => {
  const doc = section(SECTION_TITLES.kubernetes, read(DEPLOYMENT_DOC))!;
  const objects = render('production');

  it("gives kubectl users commands that select the manifests' migration step and Job", () => {
    const job = find(objects, 'Job', 'migrate')!;
    const [key, value] = /-l ([\w./-]+)=([\w-]+)/.exec(doc)!.slice(1);
    expect(job.metadata.labels?.[key!]).toBe(value);
    expect(doc).toContain(`delete job ${job.metadata.name} `);
    expect(doc).toContain(`job/${job.metadata.name} `);
    expect(doc).toContain(`kubectl apply -k deploy/kubernetes/overlays/production`);
    expect(doc).toContain(`-n ${job.metadata.namespace} `);
  });

  it('states the grace periods the manifests set', () => {
    const stated = /`terminationGracePeriodSeconds` api (\d+) s, task-runner (\d+) s, agent (\d+) s/.exec(
      doc,
    );
    expect(stated).not.toBeNull();
    const grace = (app: string) =>
      (find(objects, 'Deployment', app)!.spec as { template: PodTemplate }).template.spec
        .terminationGracePeriodSeconds;
    expect([grace('api'), grace('task-runner'), grace('agent')]).toEqual(stated!.slice(1).map(Number));
  });

  it('names the Secret keys the pods mount', () => {
    const keys = new Set(
      podTemplates(objects).flatMap(({ template }) =>
        (template.spec.volumes ?? []).flatMap((volume) =>
          volume.secret?.secretName === 'keelson' ? (volume.secret.items ?? []).map((item) => item.key) : [],
        ),
      ),
    );
    for (const key of keys) expect(doc, key).toContain(`--from-literal=${key}=`);
  });
});
