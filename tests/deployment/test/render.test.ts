import { describe, expect, it } from 'vitest';
import { MIGRATE_COMMAND, MIGRATE_SOURCES } from '../src/apps.ts';
import { blueprintProblems } from '../src/render-schema.ts';
import { renderBlueprint, RENDER_BLUEPRINT } from '../src/platforms.ts';
import { readYaml } from '../src/repository.ts';

const blueprint = renderBlueprint();
const byName = (name: string) => blueprint.services.find((service) => service.name === name)!;

describe('the Render Blueprint', () => {
  it("fits Render's Blueprint schema (every field, type and allowed value used)", () => {
    expect(blueprintProblems(blueprint)).toEqual([]);
  });

  it('rejects what Render would reject (the schema check is not vacuous)', () => {
    const broken = structuredClone(blueprint);
    broken.services[0]!.maxmemoryPolicy = 'evict-everything';
    (broken.services[1] as Record<string, unknown>).healthcheckPath = '/ready';
    broken.services[1]!.maxShutdownDelaySeconds = 301;
    expect(blueprintProblems(broken)).toEqual([
      expect.stringContaining('maxmemoryPolicy: expected one of'),
      expect.stringContaining('maxShutdownDelaySeconds: expected an integer in 1..300'),
      expect.stringContaining('healthcheckPath is not a field'),
    ]);
  });

  it('runs the api as a web service, the agent as a private service and the task-runner as a worker', () => {
    expect(byName('keelson-api')).toMatchObject({ type: 'web', runtime: 'docker', dockerContext: '.' });
    expect(byName('keelson-agent')).toMatchObject({ type: 'pserv', runtime: 'docker', dockerContext: '.' });
    expect(byName('keelson-task-runner')).toMatchObject({
      type: 'worker',
      runtime: 'docker',
      dockerContext: '.',
    });
    expect(byName('keelson-api').numInstances).toBeGreaterThanOrEqual(2);
    // HTTP health checks are for web services only; a pserv gets TCP checks, a worker none.
    expect(byName('keelson-agent').healthCheckPath).toBeUndefined();
    expect(byName('keelson-task-runner').healthCheckPath).toBeUndefined();
  });

  it('migrates before a new agent boots: Render routes to a private service once its port is bound', () => {
    const agent = byName('keelson-agent');
    // No health check a private service could use: the platform's gate is the pre-deploy step,
    // in the agent's own image (its deploy runs independently of the task-runner's).
    expect(agent.healthCheckPath).toBeUndefined();
    expect(agent.preDeployCommand).toBe(MIGRATE_COMMAND);
    expect(Object.keys(MIGRATE_SOURCES)).toContain(agent.dockerfilePath?.replace(/^\.\//, ''));
    // Render runs pre-deploy commands on paid instance types only.
    expect(agent.plan).not.toBe('free');
    // The web service needs none: it routes on /ready, which waits for the migrations.
    expect(byName('keelson-api').healthCheckPath).toBe('/ready');
  });

  it('wires Postgres and Key Value by reference, to resources the Blueprint defines', () => {
    const databases = new Set(blueprint.databases?.map((d) => d.name));
    const services = new Map(blueprint.services.map((s) => [s.name, s.type]));
    const groups = new Set(blueprint.envVarGroups?.map((g) => g.name));
    for (const service of blueprint.services) {
      for (const variable of service.envVars ?? []) {
        if (variable.fromDatabase)
          expect(databases, `${service.name} ${variable.key}`).toContain(variable.fromDatabase.name);
        if (variable.fromService) {
          expect(services.get(variable.fromService.name), `${service.name} ${variable.key}`).toBe(
            variable.fromService.type,
          );
        }
        if (variable.fromGroup) expect(groups, service.name).toContain(variable.fromGroup);
      }
    }
  });

  it('wires the internal calls by hostport, to services that receive private traffic on the port they bind', () => {
    const references = blueprint.services.flatMap((service) =>
      (service.envVars ?? [])
        .filter((variable) => variable.fromService?.property === 'hostport')
        .map((variable) => ({ caller: service.name, key: variable.key!, ...variable.fromService! })),
    );
    expect(references.map(({ caller, key, name }) => `${caller} ${key} → ${name}`).sort()).toEqual([
      'keelson-agent API_MCP_URL → keelson-api',
      'keelson-api AGENT_URL → keelson-agent',
      'keelson-task-runner AGENT_URL → keelson-agent',
    ]);
    for (const { caller, key, name } of references) {
      const target = byName(name);
      const where = `${caller} ${key} → ${name}`;
      // Workers receive no private traffic; free web services neither (https://render.com/docs/private-network).
      expect(['pserv', 'web'], where).toContain(target.type);
      if (target.type === 'web') expect(target.plan, where).not.toBe('free');
      // The port the app binds is its PORT, set here; the ports Render keeps for itself are not usable.
      const port = Number(target.envVars?.find((v) => v.key === 'PORT')?.value);
      expect(Number.isInteger(port), `${where}: ${name} sets PORT`).toBe(true);
      expect([10000, 18012, 18013, 19099], where).not.toContain(port);
    }
    // Nothing internal is left to the dashboard: only what lives outside Render is entered there,
    // the model provider's key and the bucket of uploaded files (Render has no object storage).
    const byHand = blueprint.services.flatMap((s) =>
      (s.envVars ?? []).filter((v) => v.sync === false).map((v) => `${s.name} ${v.key}`),
    );
    const bucket = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'];
    expect(byHand.sort()).toEqual(
      [
        'keelson-agent OPENAI_API_KEY',
        ...bucket.map((key) => `keelson-api ${key}`),
        ...bucket.map((key) => `keelson-task-runner ${key}`),
      ].sort(),
    );
  });

  it('gives BullMQ a Key Value that never evicts, reachable only inside Render', () => {
    const keyValue = blueprint.services.find((s) => s.type === 'keyvalue')!;
    expect(keyValue.maxmemoryPolicy).toBe('noeviction');
    expect(keyValue.ipAllowList).toEqual([]);
    expect(blueprint.databases?.[0]?.ipAllowList).toEqual([]);
  });

  it('runs the Postgres major version the tests and compose use', () => {
    const compose = readYaml<{ services: { postgres: { image: string } } }>('compose.yaml');
    const major = /:pg(\d+)$/.exec(compose.services.postgres.image)?.[1];
    expect(blueprint.databases?.[0]?.postgresMajorVersion, `${RENDER_BLUEPRINT} vs compose.yaml`).toBe(major);
  });
});
