import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { filesUnder, read, ROOT } from './repository.ts';

/**
 * What the deployment configurations must agree with, read from the apps' own code: the
 * variables each config schema reads, which of them are secrets, which are required, the
 * defaults (ports, shutdown budgets) and the routes the health checks call. Nothing here is
 * written down twice: when an app changes, these facts change and the checks say what to update.
 */

export type AppName = 'api' | 'task-runner' | 'agent';
/** The apps, plus the one-off migrate command of the task-runner image (`node dist/migrate.js`). */
export type Workload = AppName | 'migrate';
export type Env = Record<string, string | undefined>;

interface WorkloadDefinition {
  /** The module that parses the environment, and its export that does. */
  configModule: string;
  loader: string;
  /** Where the process listens: the variable, read from the parsed config. */
  portVariable?: 'PORT' | 'HEALTH_PORT';
  /** Source folder scanned for route registrations. */
  sourceDir?: string;
  /** The image it runs in. */
  dockerfile: string;
}

export const WORKLOADS: Record<Workload, WorkloadDefinition> = {
  api: {
    configModule: 'apps/api/src/config.ts',
    loader: 'loadConfig',
    portVariable: 'PORT',
    sourceDir: 'apps/api/src',
    dockerfile: 'docker/api/Dockerfile',
  },
  'task-runner': {
    configModule: 'apps/task-runner/src/config.ts',
    loader: 'loadConfig',
    portVariable: 'HEALTH_PORT',
    sourceDir: 'apps/task-runner/src',
    dockerfile: 'docker/task-runner/Dockerfile',
  },
  agent: {
    configModule: 'apps/agent/src/config.ts',
    loader: 'loadConfig',
    portVariable: 'PORT',
    sourceDir: 'apps/agent/src',
    dockerfile: 'docker/agent/Dockerfile',
  },
  migrate: {
    configModule: 'packages/db/src/cli/config.ts',
    loader: 'loadMigrateConfig',
    dockerfile: 'docker/task-runner/Dockerfile',
  },
};

/** The migrate command every platform runs. */
export const MIGRATE_COMMAND = 'node dist/migrate.js';
/**
 * The images that ship it, and the source it is built from in each: the task-runner's (every
 * platform's migrate step), and the agent's (Render runs it before a new agent instance boots).
 */
export const MIGRATE_SOURCES: Record<string, string> = {
  'docker/task-runner/Dockerfile': 'apps/task-runner/src/migrate.ts',
  'docker/agent/Dockerfile': 'apps/agent/src/migrate.ts',
};

/** The workloads whose invariants are checked: all of them. */
export const checkedWorkloads = (): Workload[] => ['api', 'task-runner', 'agent', 'migrate'];

/** Apps with a long-running process (every workload but the one-off migrate command). */
export const checkedApps = (): AppName[] => checkedWorkloads().filter((w): w is AppName => w !== 'migrate');

type Loader = (env: Env) => Record<string, unknown>;

const loaders = new Map<Workload, Promise<Loader>>();

/** Imports the workload's config module from its source, as the app itself does at start-up. */
export function loaderOf(workload: Workload): Promise<Loader> {
  let loader = loaders.get(workload);
  if (!loader) {
    const { configModule, loader: name } = WORKLOADS[workload];
    loader = import(pathToFileURL(join(ROOT, configModule)).href).then((module: Record<string, unknown>) => {
      const fn = module[name];
      if (typeof fn !== 'function') throw new Error(`${configModule} does not export ${name}()`);
      return fn as Loader;
    });
    loaders.set(workload, loader);
  }
  return loader;
}

/** The problems a ConfigError lists (`NAME: message`), or none when the environment parses. */
export function problemsOf(load: Loader, env: Env): string[] {
  try {
    load(env);
    return [];
  } catch (error) {
    const problems = (error as { problems?: unknown }).problems;
    if (error instanceof Error && error.name === 'ConfigError' && Array.isArray(problems)) {
      return problems as string[];
    }
    throw error;
  }
}

const variableOf = (problem: string) => problem.slice(0, problem.indexOf(':'));

/** A CA bundle as a secret store would hold it: a self-signed certificate, its key thrown away. */
const PLACEHOLDER_CA = `-----BEGIN CERTIFICATE-----
MIIBwDCCAWWgAwIBAgIUVGbXmyhcDmsRjXeBKDI1LkodkowwCgYIKoZIzj0EAwIw
NDEyMDAGA1UEAwwpS2VlbHNvbiBwbGFjZWhvbGRlciBDQSAodGVzdHMtZGVwbG95
bWVudCkwIBcNMjYxMjAyMTU0NjM3WhgPMjEyNjExMDgxNTQ2MzdaMDQxMjAwBgNV
BAMMKUtlZWxzb24gcGxhY2Vob2xkZXIgQ0EgKHRlc3RzLWRlcGxveW1lbnQpMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnijJV5qUHm3+Psc3JyxtT7l1+h0pM6kS
pEMqYagYKPQT+mlYFLFUbksOZkkHo6hwKmvAszIYl97lRsAR0ACqL6NTMFEwHQYD
VR0OBBYEFPdU/AnKjBy1Lwqy1Ro99JmT9aLOMB8GA1UdIwQYMBaAFPdU/AnKjBy1
Lwqy1Ro99JmT9aLOMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh
AIyy5k4en2BwGbEMNUwPtTopeCiFmQeF3+LifxX5HCsUAiEA6qjFO/P7swc+Mhy9
SifdKbPl95diUfVyrj3wTvDC6Q0=
-----END CERTIFICATE-----`;

/**
 * A stand-in for a value a platform provides at run time (a secret, a database URL): well-formed
 * for the schema, and strong enough for production's rules (32+ bytes, different per variable).
 */
export function placeholderFor(name: string): string {
  if (name === 'DATABASE_SSL_CA') return PLACEHOLDER_CA;
  if (name === 'DATABASE_URL') return 'postgres://keelson:placeholder@postgres.internal:5432/keelson';
  if (name === 'REDIS_URL') return 'redis://default:placeholder@redis.internal:6379';
  if (name.endsWith('_URL')) return 'https://placeholder.internal/';
  // Set by hand on Railway and Render (the bucket's own values): placeholders of their form.
  if (name === 'S3_BUCKET') return 'keelson-uploads';
  if (name === 'S3_ENDPOINT') return 'https://storage.placeholder.internal';
  if (name === 'S3_REGION') return 'us-east-1';
  return randomBytes(36).toString('base64url');
}

export interface ConfigFacts {
  /** Every variable the schema reads. */
  variables: string[];
  /** The variables the schema marks secret (they also accept NAME_FILE). */
  secrets: string[];
  /** Unset → the process refuses to start (in production, where the platforms run it). */
  required: string[];
}

const facts = new Map<Workload, Promise<ConfigFacts>>();

export function configFacts(workload: Workload): Promise<ConfigFacts> {
  let result = facts.get(workload);
  if (!result) {
    result = loaderOf(workload).then(deriveFacts);
    facts.set(workload, result);
  }
  return result;
}

function deriveFacts(load: Loader): ConfigFacts {
  // 1. The variables: parseEnv looks up NAME (and NAME_FILE) for every field of the schema.
  const seen = new Set<string>();
  const recorder = new Proxy<Env>(
    {},
    {
      get: (_target, key) => {
        if (typeof key === 'string') seen.add(key);
        return undefined;
      },
    },
  );
  problemsOf(load, recorder);
  const variables = [...seen].filter((name) => !(name.endsWith('_FILE') && seen.has(name.slice(0, -5))));

  // 2. The secrets: NAME_FILE is accepted for secrets only ("cannot read" vs "is not a secret").
  const unreadable = '/nonexistent/keelson-deployment-check';
  const fileProblems = problemsOf(
    load,
    Object.fromEntries(variables.map((name) => [`${name}_FILE`, unreadable])),
  );
  const secrets = variables.filter((name) =>
    fileProblems.some((problem) => problem.startsWith(`${name}_FILE: cannot read`)),
  );

  // 3. Required: missing when nothing is set, then what production asks for on top of that.
  const required = problemsOf(load, {})
    .filter((problem) => problem.endsWith('is required but not set'))
    .map(variableOf);
  const production: Env = { NODE_ENV: 'production', ...placeholders(required) };
  const inProduction = problemsOf(load, production)
    .filter((problem) => /\brequired\b/.test(problem))
    .map(variableOf);
  return {
    variables: variables.sort(),
    secrets: secrets.sort(),
    required: [...new Set([...required, ...inProduction])],
  };
}

export const placeholders = (names: readonly string[]): Env =>
  Object.fromEntries(names.map((name) => [name, placeholderFor(name)]));

/**
 * The routes an app registers for a method, from its source: `app.get('/ready', …)`, and for
 * GET also the metrics plugin's `path: '/metrics'`. A scan rather than building the app:
 * building needs its connections, and these routes are registered at the root in every app.
 */
export function registeredRoutes(app: AppName, method: 'get' | 'post' = 'get'): Set<string> {
  const routes = new Set<string>();
  const call = new RegExp(`\\.${method}\\(\\s*['"\`](\\/[^'"\`]*)['"\`]`, 'g');
  for (const file of filesUnder(WORKLOADS[app].sourceDir!, '.ts')) {
    const text = read(file);
    for (const match of text.matchAll(call)) routes.add(match[1]!);
    if (method !== 'get') continue;
    for (const match of text.matchAll(/\bpath:\s*['"`](\/[^'"`]*)['"`]/g)) routes.add(match[1]!);
  }
  return routes;
}
