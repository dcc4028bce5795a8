import { availableParallelism, cpus, loadavg } from 'node:os';
import { startApi } from './api-target.ts';
import {
  BARE_PATH,
  measureHttp,
  startBareServer,
  type HttpLoad,
  type HttpTarget,
  type LatencyMs,
  type RoundLoad,
  type TargetLoad,
} from './http-bench.ts';
import { measureQueue, type QueueLoad, type QueueReport } from './queue-bench.ts';
import { pairedRatios, type Spread } from './stats.ts';

export interface BenchOptions {
  http: HttpLoad;
  queue: QueueLoad;
}

export interface HttpResult {
  /** All rounds together: 2xx responses over the measured time. */
  requestsPerSecond: number;
  responses2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  /** Of every 2xx response of every round. */
  latencyMs: LatencyMs;
  rounds: RoundLoad[];
}

/**
 * Ratios are subject ÷ baseline, computed round by round (the two measured next to each other)
 * and summarised over the rounds: < 1 for a rate means slower, > 1 for a latency means slower.
 */
export interface HttpRow {
  name: string;
  baseline: boolean;
  result: HttpResult;
  ratio: { requestsPerSecond: Spread; latencyP50: Spread; latencyP99: Spread };
}

export interface BenchResults {
  startedAt: string;
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    /** 1-minute load average before and after the run: other work on the machine shrinks every ratio towards 1. */
    loadAverage: { before: number; after: number };
  };
  options: BenchOptions;
  http: HttpRow[];
  /** The task-runner against its two baselines, what one job sends to Postgres, and its profile. */
  queue: QueueReport;
}

/** `pnpm bench`: 5 s of load per HTTP target in five 1-s rounds, 500 jobs per queue round. */
export const FULL_RUN: BenchOptions = {
  http: { connections: 10, warmupS: 1, durationS: 5, rounds: 5 },
  queue: { jobs: 500, rounds: 3 },
};

function httpResult({ rounds, latencyMs }: TargetLoad): HttpResult {
  const sum = (pick: (round: RoundLoad) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  const durationS = sum((round) => round.durationS);
  const responses2xx = sum((round) => round.responses2xx);
  return {
    requestsPerSecond: responses2xx / durationS,
    responses2xx,
    non2xx: sum((round) => round.non2xx),
    errors: sum((round) => round.errors),
    timeouts: sum((round) => round.timeouts),
    durationS,
    latencyMs,
    rounds,
  };
}

function httpRow(name: string, subject: HttpResult, baseline: HttpResult): HttpRow {
  const per = (result: HttpResult, pick: (round: RoundLoad) => number) => result.rounds.map(pick);
  return {
    name,
    baseline: subject === baseline,
    result: subject,
    ratio: {
      requestsPerSecond: pairedRatios(
        per(subject, (round) => round.requestsPerSecond),
        per(baseline, (round) => round.requestsPerSecond),
      ),
      latencyP50: pairedRatios(
        per(subject, (round) => round.latencyMs.p50),
        per(baseline, (round) => round.latencyMs.p50),
      ),
      latencyP99: pairedRatios(
        per(subject, (round) => round.latencyMs.p99),
        per(baseline, (round) => round.latencyMs.p99),
      ),
    },
  };
}

async function measureHttpRows(load: HttpLoad): Promise<HttpRow[]> {
  const bare = await startBareServer();
  try {
    const api = await startApi();
    try {
      const targets: Array<HttpTarget & { name: string }> = [
        { name: `bare Fastify GET ${BARE_PATH}`, url: `${bare.url}${BARE_PATH}` },
        { name: 'api GET /health', url: `${api.url}/health` },
        {
          name: 'api GET /v1/documents?limit=20 (authenticated)',
          url: `${api.url}/v1/documents?limit=20`,
          headers: api.auth,
        },
      ];
      const measured = (await measureHttp(targets, load)).map(httpResult);
      return targets.map(({ name }, index) => httpRow(name, measured[index]!, measured[0]!));
    } finally {
      await api.close();
    }
  } finally {
    await bare.close();
  }
}

/**
 * One run. Every baseline is measured in turn with what it is compared with — same process, same
 * load, interleaved round by round — so the ratios hold on a busy 2-core machine where the raw
 * numbers do not. Only one load runs at a time.
 */
export async function runBenchmark(options: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  const http = await measureHttpRows(options.http);
  const queue = await measureQueue(options.queue);
  return {
    startedAt,
    machine: {
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverage: { before: loadBefore, after: loadavg()[0]! },
    },
    options,
    http,
    queue,
  };
}
