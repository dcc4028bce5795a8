import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { freePort } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerfiles, read, readYaml } from './support.ts';

const run = promisify(execFile);

/**
 * The HEALTHCHECK of every image, run for real (with bash, as Docker runs it) against an HTTP
 * server on loopback: it must pass only on a 200 from the right path, fail on anything else, and
 * cost no Node process. compose.yaml's dev healthchecks must be the same probe.
 */
interface Healthcheck {
  options: string;
  command: string[];
}

function healthcheckOf(dockerfile: string): Healthcheck {
  const match = /^HEALTHCHECK ([^\n]*?)\s*\\\n\s*CMD (\[.*\])$/m.exec(read(dockerfile));
  if (!match) throw new Error(`${dockerfile}: no HEALTHCHECK … CMD [exec form]`);
  return { options: match[1]!, command: JSON.parse(match[2]!) as string[] };
}

/**
 * The port the probe reads — a variable and its default (`${PORT:-3000}`), or a fixed port where
 * the server's is fixed too (nginx in docker/web listens on 8080) — and the path it asks for.
 */
function target(command: string[]): { variable: string | undefined; port: number; path: string } {
  const script = command.at(-1)!;
  const port = /\/dev\/tcp\/127\.0\.0\.1\/(?:\$\{([A-Z_]+):-(\d+)\}|(\d+))/.exec(script);
  const path = /GET (\/\S*) HTTP\/1\.0/.exec(script);
  if (!port || !path) throw new Error(`not a /dev/tcp probe: ${script}`);
  return { variable: port[1], port: Number(port[2] ?? port[3]), path: path[1]! };
}

/** Runs the probe as Docker would (no shell around it), pointed at `port`; its exit code. */
async function probe(command: string[], variable: string | undefined, port: number): Promise<number> {
  // A fixed port is pointed at the test's server by rewriting it in the script.
  const args = variable
    ? command.slice(1)
    : [...command.slice(1, -1), command.at(-1)!.replace(/(\/dev\/tcp\/127\.0\.0\.1\/)\d+/, `$1${port}`)];
  try {
    await run(command[0]!, args, {
      env: { PATH: process.env.PATH, ...(variable ? { [variable]: String(port) } : {}) },
      timeout: 5_000,
    });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

let server: Server;
let port: number;
const status = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    response.statusCode = status.get(request.url ?? '') ?? 404;
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// The apps' and the console's images. docker/radosgw (the S3 server) is healthy once its bucket
// exists, which only its own server can tell: its probe is checked by the container suites
// (compose-config, uploads) and its rules in containers.test.ts.
const probed = dockerfiles().filter((path) => path !== 'docker/radosgw/Dockerfile');

describe.each(probed)('%s HEALTHCHECK', (dockerfile) => {
  const { options, command } = healthcheckOf(dockerfile);
  const { variable, path } = target(command);

  it('is a bash probe with a short interval, not a Node process', () => {
    expect(command.slice(0, 2)).toEqual(['bash', '-c']);
    expect(command.join(' ')).not.toMatch(/\bnode\b/);
    // Docker's first probe runs one interval after the start: the interval bounds start → healthy.
    // The api's is shorter than 2 s, so a restart that listens within ~1 s is reported healthy
    // within 2 s (issue 13); each probe is a `docker exec`, so none is shorter than it needs.
    const intervalMs = durationMs(/--interval=(\S+) /.exec(options)?.[1]);
    expect(intervalMs).toBeLessThanOrEqual(2000);
    if (dockerfile === 'docker/api/Dockerfile') expect(intervalMs).toBe(1500);
    else expect(intervalMs).toBe(2000);
    expect(options).toMatch(/--retries=3\b/);
  });

  it(`passes on a 200 from ${path}, fails on a 503, a wrong path or a closed port`, async () => {
    status.clear();
    status.set(path, 200);
    expect(await probe(command, variable, port)).toBe(0);
    status.set(path, 503);
    expect(await probe(command, variable, port)).not.toBe(0);
    status.clear();
    status.set('/elsewhere', 200);
    expect(await probe(command, variable, port)).not.toBe(0);
    expect(await probe(command, variable, await freePort())).not.toBe(0);
  });
});

describe("compose.yaml's dev healthchecks", () => {
  const services = readYaml<{
    services: Record<string, { healthcheck?: { test: string[]; interval: string } }>;
  }>('compose.yaml').services;

  it.each(['api', 'task-runner', 'agent'])('%s runs its image probe on the fixed dev port', (app) => {
    const { command } = healthcheckOf(`docker/${app}/Dockerfile`);
    const { port: devPort } = target(command);
    const check = services[app]!.healthcheck!;
    // Compose interpolates `$`: the file writes `$$status` for the `$status` the image has.
    const expected = [
      'CMD',
      ...command.slice(0, -1),
      command
        .at(-1)!
        .replace(/\$\{[A-Z_]+:-(\d+)\}/, String(devPort))
        .replaceAll('$status', () => '$$status'),
    ];
    expect(check.test).toEqual(expected);
    expect(check.interval).toBe('2s');
  });
});

/** A Dockerfile duration (`2s`, `1500ms`) in milliseconds; NaN for anything else. */
function durationMs(value: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value ?? '');
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}
