import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify from 'fastify';

const run = promisify(execFile);
const LOAD_CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/** How hard and how long every HTTP target of a run is loaded: the same for all of them. */
export interface HttpLoad {
  /** Concurrent keep-alive connections (closed loop: each sends its next request on the answer). */
  connections: number;
  /** Load on each target before measuring, dropped. */
  warmupS: number;
  /** Measured load on each target, split into `rounds` equal rounds. */
  durationS: number;
  rounds: number;
}

export interface HttpTarget {
  url: string;
  headers?: Record<string, string>;
}

/** What the load client is asked to do (its argument). */
export interface LoadPlan {
  targets: HttpTarget[];
  connections: number;
  warmupS: number;
  rounds: number;
  roundS: number;
}

export interface LatencyMs {
  p50: number;
  p99: number;
}

export interface RoundLoad {
  durationS: number;
  /** 2xx responses per second. */
  requestsPerSecond: number;
  responses2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Of 2xx responses only. */
  latencyMs: LatencyMs;
}

/** One target's measurements: each round, and the latency of all its rounds' responses together. */
export interface TargetLoad {
  rounds: RoundLoad[];
  latencyMs: LatencyMs;
}

/**
 * Loads the targets from a separate process (src/load-client.ts, autocannon): each warmed up, then
 * `rounds` rounds in which every target is loaded in turn. Returns one TargetLoad per target.
 */
export async function measureHttp(targets: HttpTarget[], load: HttpLoad): Promise<TargetLoad[]> {
  const plan: LoadPlan = {
    targets,
    connections: load.connections,
    warmupS: load.warmupS,
    rounds: load.rounds,
    roundS: load.durationS / load.rounds,
  };
  const { stdout } = await run(process.execPath, [LOAD_CLIENT, JSON.stringify(plan)], {
    timeout: (targets.length * (load.warmupS + load.durationS) + 30) * 1_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as TargetLoad[];
}

export const BARE_PATH = '/x';

/**
 * The baseline: Fastify 5 with nothing registered but one route answering a small JSON body — the
 * same body as the api's /health, so the difference is everything the api adds around it.
 */
export async function startBareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  app.get(BARE_PATH, async () => ({ status: 'ok' }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}
