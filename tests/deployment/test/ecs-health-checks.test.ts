import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { freePort } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecs, type ContainerDefinition } from '../src/ecs-definitions.ts';
import { probedUrl } from '../src/platforms.ts';
import { read } from '../src/repository.ts';

const run = promisify(execFile);

/**
 * ECS runs a task definition's `healthCheck` instead of the image's HEALTHCHECK, every 10 s in
 * every task: it must be the images' bash probe (a few ms of CPU, 2 MB), not a Node process
 * (~200 ms of CPU, ~70 MB each time). Each is run here for real, as ECS runs it (no shell around
 * `CMD`), against an HTTP server on loopback.
 */
const containers = (['api', 'agent', 'task-runner'] as const).map((app) => ({
  app,
  container: ecs.taskDefinitions[app].containerDefinitions[0] as ContainerDefinition,
}));

/** The image's probe script with its `${PORT:-…}` written out, as a task definition must. */
function imageProbe(app: string): string {
  const match = /^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m.exec(read(`docker/${app}/Dockerfile`));
  if (!match) throw new Error(`docker/${app}/Dockerfile: no HEALTHCHECK … CMD [exec form]`);
  return (JSON.parse(match[1]!) as string[]).at(-1)!;
}

/** The command with its port pointed at `port` (the script writes the app's port out). */
async function probe(command: string[], port: number): Promise<number> {
  const [, executable, ...args] = command;
  const script = args.pop()!.replace(/\/dev\/tcp\/127\.0\.0\.1\/\d+/, `/dev/tcp/127.0.0.1/${port}`);
  try {
    await run(executable!, [...args, script], { env: { PATH: process.env.PATH }, timeout: 5_000 });
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

describe.each(containers)('ECS $app healthCheck', ({ app, container }) => {
  const command = container.healthCheck!.command!;
  const probed = probedUrl(command);

  it("is the image's bash probe on the container's port, not a Node process", () => {
    expect(command.slice(0, 3)).toEqual(['CMD', 'bash', '-c']);
    expect(command.join(' ')).not.toMatch(/\bnode\b/);
    const variable = app === 'task-runner' ? 'HEALTH_PORT' : 'PORT';
    const configured = container.environment?.find(({ name }) => name === variable)?.value;
    expect(String(probed.port)).toBe(configured);
    // The same script as the image's, but for the port written out and the path (liveness here).
    const normalize = (script: string) =>
      script.replace(/\/dev\/tcp\/127\.0\.0\.1\/\S+? /, '/dev/tcp/PORT ').replace(/GET \/\S+/, 'GET PATH');
    expect(normalize(command.at(-1)!)).toBe(normalize(imageProbe(app)));
  });

  it(`passes on a 200 from ${probed.path}, fails on a 503, a wrong path or a closed port`, async () => {
    status.clear();
    status.set(probed.path, 200);
    expect(await probe(command, port)).toBe(0);
    status.set(probed.path, 503);
    expect(await probe(command, port)).not.toBe(0);
    status.clear();
    status.set('/elsewhere', 200);
    expect(await probe(command, port)).not.toBe(0);
    expect(await probe(command, await freePort())).not.toBe(0);
  });
});
