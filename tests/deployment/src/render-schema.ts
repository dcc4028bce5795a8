/**
 * The parts of Render's Blueprint JSON schema (https://render.com/schema/render.yaml.json, the
 * `$id` of the schema render.com/docs/blueprint-spec links; draft 2020-12) that deploy/render uses:
 * for each kind of object, the keys it may have, the ones it must have, and the type and allowed
 * values of each. Render rejects unknown keys (`additionalProperties: false`), and so does this.
 * Keys of the schema that the Blueprint does not use are left out on purpose: using a new one
 * makes the check fail until it is added here, from the schema, with its allowed values.
 */

type Check = (value: unknown, path: string) => string[];

const is =
  (test: (value: unknown) => boolean, expected: string): Check =>
  (value, path) =>
    test(value) ? [] : [`${path}: expected ${expected}, got ${JSON.stringify(value)}`];

const string = is((v) => typeof v === 'string', 'a string');
const boolean = is((v) => typeof v === 'boolean', 'a boolean');
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  is(
    (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max,
    `an integer in ${min}..${max}`,
  );
const oneOf = (...values: readonly string[]) =>
  is((v) => typeof v === 'string' && values.includes(v), `one of ${values.join(', ')}`);
const startsWith = (prefix: string) =>
  is((v) => typeof v === 'string' && v.startsWith(prefix), `a string starting with ${prefix}`);
const arrayOf =
  (item: Check): Check =>
  (value, path) =>
    Array.isArray(value) ? value.flatMap((v, i) => item(v, `${path}[${i}]`)) : [`${path}: expected an array`];

function object(fields: Record<string, Check>, required: readonly string[] = []): Check {
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return [`${path}: expected an object`];
    const record = value as Record<string, unknown>;
    return [
      ...required.filter((key) => !(key in record)).map((key) => `${path}: ${key} is required`),
      ...Object.entries(record).flatMap(([key, v]) =>
        fields[key] ? fields[key](v, `${path}.${key}`) : [`${path}: ${key} is not a field of this object`],
      ),
    ];
  };
}

/** The first alternative without problems, or the problems of the one `pick` selects. */
const anyOf =
  (pick: (value: unknown) => Check): Check =>
  (value, path) =>
    pick(value)(value, path);

// definitions/* of the schema
export const REGIONS = ['oregon', 'ohio', 'frankfurt', 'singapore', 'virginia'] as const;
export const PLANS = [
  'free', 'starter', 'standard', 'pro', 'pro plus', 'pro max', 'pro ultra',
  'basic-256mb', 'basic-1gb', 'basic-4gb',
  'pro-4gb', 'pro-8gb', 'pro-16gb', 'pro-32gb', 'pro-64gb', 'pro-128gb', 'pro-192gb', 'pro-256gb', 'pro-384gb', 'pro-512gb',
  'accelerated-16gb', 'accelerated-32gb', 'accelerated-64gb', 'accelerated-128gb', 'accelerated-256gb',
  'accelerated-384gb', 'accelerated-512gb', 'accelerated-768gb', 'accelerated-1024gb',
] as const; // prettier-ignore
export const RUNTIMES = [
  'docker',
  'elixir',
  'go',
  'image',
  'node',
  'python',
  'ruby',
  'rust',
  'static',
] as const;
export const MAXMEMORY_POLICIES = [
  'allkeys-lru', 'volatile-lru', 'allkeys-lfu', 'volatile-lfu', 'allkeys-random', 'volatile-random', 'volatile-ttl', 'noeviction',
] as const; // prettier-ignore
export const SERVICE_TYPES = [
  'web',
  'cron',
  'worker',
  'pserv',
  'static',
  'dpg',
  'job',
  'redis',
  'keyvalue',
] as const;
export const DATABASE_PROPERTIES = [
  'connectionString',
  'connectionPoolString',
  'host',
  'port',
  'user',
  'password',
  'database',
] as const;
export const SERVICE_PROPERTIES = ['host', 'port', 'hostport', 'connectionString'] as const;
export const POSTGRES_VERSIONS = ['10', '11', '12', '13', '14', '15', '16', '17', '18'] as const;

const ipAllowList = arrayOf(object({ source: string, description: string }, ['source']));
const buildFilter = object({ paths: arrayOf(string), ignoredPaths: arrayOf(string) });

// envVarFromKeyValue, envVarFromDatabase, envVarFromService, envVarFromGroup (an anyOf in the schema)
const keyValueEnvVar = object(
  { key: string, value: is((v) => typeof v === 'string' || typeof v === 'number', 'a string or number'), generateValue: boolean, sync: boolean, previewValue: string },
  ['key'],
); // prettier-ignore
const databaseEnvVar = object(
  {
    key: string,
    fromDatabase: object({ name: string, property: oneOf(...DATABASE_PROPERTIES) }, ['name', 'property']),
  },
  ['key', 'fromDatabase'],
);
const serviceEnvVar = object(
  {
    key: string,
    fromService: object(
      {
        type: oneOf(...SERVICE_TYPES),
        name: string,
        property: oneOf(...SERVICE_PROPERTIES),
        envVarKey: string,
      },
      ['name', 'type'],
    ),
  },
  ['key', 'fromService'],
);
const groupEnvVar = object({ fromGroup: string }, ['fromGroup']);
const envVar = anyOf((v) => {
  const record = (v ?? {}) as Record<string, unknown>;
  if ('fromGroup' in record) return groupEnvVar;
  if ('fromDatabase' in record) return databaseEnvVar;
  if ('fromService' in record) return serviceEnvVar;
  return keyValueEnvVar;
});

// definitions/serverService: web, worker, pserv
const serverService = object(
  {
    type: oneOf('web', 'worker', 'pserv'),
    name: string,
    region: oneOf(...REGIONS),
    plan: oneOf(...PLANS),
    runtime: oneOf(...RUNTIMES),
    dockerfilePath: string,
    dockerContext: string,
    dockerCommand: string,
    numInstances: integer(1),
    healthCheckPath: startsWith('/'),
    preDeployCommand: string,
    envVars: arrayOf(envVar),
    autoDeployTrigger: oneOf('off', 'commit', 'checksPass'),
    buildFilter,
    maxShutdownDelaySeconds: integer(1, 300),
    ipAllowList,
  },
  ['type', 'name', 'runtime'],
);

// definitions/redisServer: keyvalue (`redis` is the deprecated alias)
const keyValueService = object(
  {
    type: oneOf('keyvalue', 'redis'),
    name: string,
    region: oneOf(...REGIONS),
    plan: oneOf(...PLANS),
    ipAllowList,
    maxmemoryPolicy: oneOf(...MAXMEMORY_POLICIES),
    persistenceMode: oneOf('journal-snapshot', 'snapshot', 'off'),
  },
  ['type', 'name', 'ipAllowList'],
);

// definitions/database
const database = object(
  {
    name: string,
    databaseName: string,
    user: string,
    region: oneOf(...REGIONS),
    plan: oneOf(...PLANS),
    diskSizeGB: is(
      (v) => v === 1 || (Number.isInteger(v) && (v as number) % 5 === 0),
      '1 or a multiple of 5',
    ),
    postgresMajorVersion: oneOf(...POSTGRES_VERSIONS),
    ipAllowList,
  },
  ['name'],
);

const envVarGroup = object({ name: string, envVars: arrayOf(keyValueEnvVar) }, ['name', 'envVars']);

const service = anyOf((v) => {
  const type = (v as { type?: unknown } | null)?.type;
  return type === 'keyvalue' || type === 'redis' ? keyValueService : serverService;
});

/** Every problem with the Blueprint, as `path: what is wrong`; empty when it fits the schema. */
export const blueprintProblems = (blueprint: unknown): string[] =>
  object({
    version: oneOf('1'),
    services: arrayOf(service),
    databases: arrayOf(database),
    envVarGroups: arrayOf(envVarGroup),
  })(blueprint, 'render.yaml');
