import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, inspect, reportMetric } from '../src/compose.ts';
import {
  IMAGE_RESULTS,
  memory,
  startTimings,
  writeImageResults,
  type ImageMetrics,
} from '../src/image-metrics.ts';
import { PROD_APPS, ProdStack } from '../src/prod-stack.ts';

/**
 * What each app image costs once it runs, printed and written for tests/bench (nothing here fails
 * on a size or a time): bytes added over the base image, memory after start-up at idle, start →
 * listening and start → healthy as Docker reports it, and the same after `docker restart` of the
 * api. The apps run as in the prod profile (one api replica, no load balancer: neither changes an
 * app's own start), with the scripted model so the agent is configured as in production.
 */
const BASE = 'node:24-trixie-slim';
/** How long the stack idles after start-up before memory is read. */
const IDLE_MS = 15_000;

let stack: ProdStack;
const metrics = new Map<string, ImageMetrics>();

beforeAll(async () => {
  stack = await ProdStack.create('keelson-e2e-image-runtime');
  await stack.project.down();
  await stack.project.compose(['build', ...Object.keys(PROD_APPS)]);
  await stack.project.compose([
    'up',
    '--detach',
    '--wait',
    '--wait-timeout',
    '240',
    '--scale',
    'api-prod=1',
    ...Object.keys(PROD_APPS),
  ]);
});

describe('the app images at run time', () => {
  it('report their size, start-up and idle memory', async () => {
    const baseSize = (await inspect<{ Size: number }>(BASE)).Size;
    const timings = new Map<string, Awaited<ReturnType<typeof startTimings>>>();
    for (const service of Object.keys(PROD_APPS)) {
      timings.set(service, await startTimings(await stack.project.containerId(service)));
    }
    await sleep(IDLE_MS);
    for (const [service, app] of Object.entries(PROD_APPS)) {
      const container = await stack.project.containerId(service);
      const { Image } = await inspect(container);
      const { containerMiB, nodeRssMiB } = await memory(container);
      const timing = timings.get(service)!;
      metrics.set(app, {
        image: (await inspect<{ RepoTags: string[] }>(Image)).RepoTags[0] ?? Image,
        addedBytes: (await inspect<{ Size: number }>(Image)).Size - baseSize,
        idleMemoryMiB: round(containerMiB),
        idleNodeRssMiB: round(nodeRssMiB),
        readyMs: timing.readyMs,
        startToHealthyMs: timing.healthyMs,
      });
    }
    for (const app of Object.values(PROD_APPS)) {
      const m = metrics.get(app)!;
      expect(m.addedBytes).toBeGreaterThan(0);
      expect(m.startToHealthyMs).toBeGreaterThan(0);
    }
  });

  it('start from the compile cache filled at build time, as the user they run as, read-only', async () => {
    for (const service of Object.keys(PROD_APPS)) {
      const container = await stack.project.containerId(service);
      // The app's modules imported again inside the running container (its user, its read-only
      // root, its NODE_COMPILE_CACHE), with Node saying what it did with each cached module.
      // The api and the task-runner also import what they load only later (compileCacheImports:
      // the api's deferred modules, the S3 client): those come from the cache too.
      const later = service === 'api-prod' || service === 'task-runner-prod';
      const load = later
        ? "await import('./dist/app.js'); await (await import('./dist/startup/compile-cache-imports.js')).compileCacheImports()"
        : "await import('./dist/app.js')";
      const said = await docker([
        'exec',
        container,
        'bash',
        '-c',
        `NODE_DEBUG_NATIVE=COMPILE_CACHE node --import=@repo/telemetry/register --input-type=module --eval "${load}" 2>&1; for d in .compile-cache .compile-cache/*/; do [ -w "$d" ] && echo "WRITABLE $d"; done; true`,
      ]);
      const accepted = said.match(/V8 code cache for \w+ \S+ was accepted/g) ?? [];
      const refused = said.split('\n').filter((line) => /was rejected|mismatch/i.test(line));
      expect(refused, service).toEqual([]);
      // Hundreds of modules (the app's and its dependencies'), not a handful.
      expect(accepted.length, service).toBeGreaterThan(100);
      expect(said, service).toContain('/app/dist/app.js was accepted');
      if (later) {
        expect(said, service).toMatch(/node_modules\/@aws-sdk\/client-s3\/\S+ was accepted/);
        expect(said, service).toMatch(/node_modules\/file-type\/\S+ was accepted/);
      }
      if (service === 'api-prod') {
        expect(said, service).toMatch(/node_modules\/bullmq\/\S+ was accepted/);
        expect(said, service).toMatch(/node_modules\/undici\/\S+ was accepted/);
        expect(said, service).toMatch(/node_modules\/@modelcontextprotocol\/sdk\/\S+ was accepted/);
      }
      // And the app cannot add to it: the folder and its cache are root's and not writable by
      // the app's user, even on a writable root file system. (Whether Node tries to persist what
      // it compiled afresh at exit depends on how the process ends, so that is not asserted.)
      expect(said, service).not.toContain('WRITABLE');
    }
  });

  it('report the api container restart → healthy', async () => {
    const api = await stack.project.containerId('api-prod');
    const before = (await inspect(api)).State.StartedAt;
    await docker(['restart', '--time', '20', api]);
    // startTimings waits for the new run: a StartedAt after the restart, and healthy again.
    const timing = await startTimings(api);
    expect(timing.startedAt).not.toBe(before);
    const m = metrics.get('api')!;
    m.restartReadyMs = timing.readyMs;
    m.restartToHealthyMs = timing.healthyMs;
  });
});

afterAll(async () => {
  if (metrics.size > 0) report();
  if (stack) await stack.dispose();
});

/** One line per image, and the JSON tests/bench reads. */
function report(): void {
  for (const [app, m] of metrics) {
    reportMetric(
      `image.${app}`,
      [
        `added_bytes=${m.addedBytes} (${(m.addedBytes / 1e6).toFixed(1)} MB)`,
        `idle_memory_mib=${m.idleMemoryMiB}`,
        `idle_node_rss_mib=${m.idleNodeRssMiB}`,
        `start_to_ready_ms=${m.readyMs}`,
        `start_to_healthy_ms=${m.startToHealthyMs}`,
        ...(m.restartToHealthyMs === undefined
          ? []
          : // Counted from the new start, as Docker reports StartedAt: the old process's graceful
            // stop (up to its shutdown budget) comes before it.
            [`restart_to_ready_ms=${m.restartReadyMs}`, `restart_to_healthy_ms=${m.restartToHealthyMs}`]),
      ].join(' '),
    );
  }
  writeImageResults({
    measuredAt: new Date().toISOString(),
    loadAverage1m: round(loadavg()[0]!),
    base: BASE,
    images: Object.fromEntries(metrics),
  });
  reportMetric('image.results', IMAGE_RESULTS);
}

const round = (value: number) => Math.round(value * 10) / 10;
