import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@repo/testing';
import { docker, inspect } from './compose.ts';

/**
 * Start-up and memory of a running app container, as Docker and the app report them: no clock of
 * the test's own is involved, so a slow test runner does not change the numbers.
 */

interface HealthInspect {
  State: {
    StartedAt: string;
    Health?: { Status: string; Log: { Start: string; End: string; ExitCode: number }[] };
  };
}

/** Docker's timestamps carry nanoseconds; Date parses up to milliseconds. */
const toMs = (timestamp: string) => Date.parse(timestamp.replace(/(\.\d{3})\d*/, '$1'));

/**
 * Waits for the container's current run to be reported healthy and returns, in ms after its
 * start: when the app logged that it listens (`ready`), and when Docker's probe first passed
 * (`healthy`, the end of that probe). Docker keeps the last 5 probes, so this polls often.
 */
export async function startTimings(
  container: string,
  timeoutMs = 180_000,
): Promise<{ startedAt: string; readyMs: number; healthyMs: number }> {
  const state = await waitFor(
    async () => {
      const { State } = await inspect<HealthInspect>(container);
      return State.Health?.Status === 'healthy' ? State : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `${container} to be healthy` },
  );
  const started = toMs(state.StartedAt);
  const passed = state.Health!.Log.filter((probe) => probe.ExitCode === 0 && toMs(probe.Start) >= started);
  if (passed.length === 0)
    throw new Error(`${container}: healthy, but no passing probe of this run is logged`);
  const healthy = Math.min(...passed.map((probe) => toMs(probe.End)));

  // Fastify's "Server listening at …" (pino's `time` is ISO 8601 with milliseconds).
  const log = await docker(['logs', '--since', state.StartedAt, container]);
  const line = log.split('\n').find((entry) => entry.includes('"Server listening at '));
  const listening = line ? Date.parse((JSON.parse(line) as { time: string }).time) : Number.NaN;
  return { startedAt: state.StartedAt, readyMs: listening - started, healthyMs: healthy - started };
}

/**
 * The container's memory as `docker stats` reports it (the cgroup's usage less the page cache:
 * what counts against the limit), and the resident set of its Node process (which also counts
 * the shared pages of the node binary and libraries), both in MiB.
 */
export async function memory(container: string): Promise<{ containerMiB: number; nodeRssMiB: number }> {
  const usage = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', container]);
  const [amount, unit] = /^([\d.]+)\s*([KMG]i?B)/.exec(usage)?.slice(1) ?? [];
  const scale: Record<string, number> = {
    KiB: 1 / 1024,
    MiB: 1,
    GiB: 1024,
    kB: 1e3 / 2 ** 20,
    MB: 1e6 / 2 ** 20,
    GB: 1e9 / 2 ** 20,
  };
  if (!amount || !unit || !(unit in scale)) throw new Error(`unreadable docker stats usage: ${usage}`);
  // tini is PID 1; its one child is the Node process.
  const status = await docker([
    'exec',
    container,
    'sh',
    '-c',
    'cat /proc/$(cat /proc/1/task/1/children | cut -d" " -f1)/status',
  ]);
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return { containerMiB: Number(amount) * scale[unit]!, nodeRssMiB: rssKiB / 1024 };
}

export interface ImageMetrics {
  image: string;
  addedBytes: number;
  idleMemoryMiB: number;
  idleNodeRssMiB: number;
  readyMs: number;
  startToHealthyMs: number;
  restartReadyMs?: number;
  restartToHealthyMs?: number;
}

/**
 * Where tests/bench reads the container suite's numbers (its results folder is git-ignored):
 * `{ measuredAt, loadAverage, images: { api: ImageMetrics, … } }`.
 */
export const IMAGE_RESULTS = fileURLToPath(new URL('../../bench/results/images.json', import.meta.url));

export function writeImageResults(results: object): void {
  mkdirSync(dirname(IMAGE_RESULTS), { recursive: true });
  writeFileSync(IMAGE_RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}
