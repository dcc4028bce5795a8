import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/**
 * A compose project of its own, so the test services never touch a developer's running stack.
 * KEELSON_TEST_PROJECT names another one (e.g. a second checkout running its tests alongside).
 */
export const TEST_PROJECT = process.env.KEELSON_TEST_PROJECT ?? 'keelson-test';

export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

const composeEnv = {
  ...process.env,
  // Port 0: Docker picks a free loopback port, so tests never collide with a running dev stack.
  POSTGRES_PORT: '0',
  REDIS_PORT: '0',
  S3_TEST_PORT: '0',
};

export interface ComposeProject {
  project: string;
  /** Compose files after compose.yaml (overrides), relative to the repository root. */
  overrides?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** `docker compose` on the repository's compose.yaml (plus overrides), in the given project. */
export async function runCompose(target: ComposeProject, ...args: string[]): Promise<string> {
  const files = ['compose.yaml', ...(target.overrides ?? [])].flatMap((file) => [
    '-f',
    `${REPO_ROOT}/${file}`,
  ]);
  const { stdout } = await run('docker', ['compose', '-p', target.project, ...files, ...args], {
    cwd: REPO_ROOT,
    env: { ...composeEnv, ...target.env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

/** The loopback port Docker published for `service`'s `port`. */
export async function publishedPort(target: ComposeProject, service: string, port: number): Promise<string> {
  const address = await runCompose(target, 'port', service, String(port));
  const published = address.split(':').pop();
  if (!published) throw new Error(`compose did not publish ${service}:${port}`);
  return published;
}

const testServices: ComposeProject = { project: TEST_PROJECT };
const compose = (...args: string[]) => runCompose(testServices, ...args);

/**
 * Starts (or finds) Postgres and Redis from the project's own compose.yaml and returns their URLs.
 * Several test processes may call this at once (turbo runs packages in parallel); a file lock
 * makes them take turns, and `up --wait` on a running project is a no-op.
 */
export async function ensureServices(): Promise<ServiceUrls> {
  const lockDir = `${tmpdir()}/keelson-test-services`;
  mkdirSync(lockDir, { recursive: true });
  const release = await lockfile.lock(lockDir, {
    retries: { retries: 300, minTimeout: 200, maxTimeout: 1_000 },
  });
  try {
    await compose('up', '--detach', '--wait', '--wait-timeout', '120', 'postgres', 'redis');
    const [pgPort, redisPort] = await Promise.all([
      publishedPort(testServices, 'postgres', 5432),
      publishedPort(testServices, 'redis', 6379),
    ]);
    return {
      databaseUrl: `postgres://keelson:keelson@127.0.0.1:${pgPort}/keelson`,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
    };
  } finally {
    await release();
  }
}

/**
 * Starts (or finds) the test S3 server, `s3-test` in compose.yaml (Debian's moto, built from
 * tests/s3-server the first time), and returns its endpoint. Each test file creates its own bucket.
 */
export async function ensureObjectStorage(): Promise<string> {
  const lockDir = `${tmpdir()}/keelson-test-services`;
  mkdirSync(lockDir, { recursive: true });
  const release = await lockfile.lock(lockDir, {
    retries: { retries: 600, minTimeout: 200, maxTimeout: 1_000 },
  });
  try {
    await compose('--profile', 'test', 'up', '--detach', '--wait', '--wait-timeout', '300', 's3-test');
    return `http://127.0.0.1:${await publishedPort(testServices, 's3-test', 5000)}`;
  } finally {
    await release();
  }
}

/**
 * Removes every container of the test project. Postgres and Redis are `dev`-profile services
 * (started here by name, which ignores profiles) and `down` only removes the services of the
 * profiles it is given, so both profiles are named: with `test` alone they were left running.
 */
export async function stopServices(): Promise<void> {
  await compose('--profile', 'dev', '--profile', 'test', 'down', '--volumes', '--remove-orphans');
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'down') {
  await stopServices();
}
