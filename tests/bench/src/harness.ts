import { availableParallelism, cpus, loadavg } from 'node:os';
import { startApiStack } from './api-stack.ts';
import { measureHttpRows, type HttpLoad, type HttpSection } from './http-bench.ts';
import { measureQueue, type QueueLoad, type QueueReport } from './queue-bench.ts';
import {
  measureTurnMemory,
  measureTurnRows,
  type MemorySection,
  type TurnLoad,
  type TurnSection,
} from './turn-bench.ts';

export interface BenchOptions {
  http: HttpLoad;
  turns: TurnLoad;
  /** Sustained turns: memory sampled once this many turns in total were stored (e.g. 1,000 and 10,000). */
  memory: { checkpoints: number[]; connections: number };
  queue: QueueLoad;
}

export interface BenchResults {
  startedAt: string;
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    /**
     * 1-minute load average before, after and every 5 s during the run: other work on the machine
     * pulls every ratio towards 1 and lengthens every latency. Above ~2 per core, re-run.
     */
    loadAverage: { before: number; after: number; max: number; samples: number[] };
  };
  options: BenchOptions;
  http: HttpSection;
  turns: TurnSection;
  memory: MemorySection;
  /** The task-runner against its two baselines, what one job sends to Postgres, splitText's times. */
  queue: QueueReport;
}

/**
 * `pnpm bench`: 16 connections (the load the profiles were taken under), 5 s per subject
 * in five 1-s rounds; turns with 1 and 8 clients; 10,000 sustained turns; 500 jobs per queue round.
 */
export const FULL_RUN: BenchOptions = {
  http: { connections: 16, warmupS: 1, durationS: 5, rounds: 5 },
  turns: { latencyConnections: 1, throughputConnections: 8, warmupS: 1, durationS: 5, rounds: 5 },
  memory: { checkpoints: [1_000, 10_000], connections: 8 },
  queue: { jobs: 500, rounds: 3 },
};

/**
 * One run. Every baseline is measured in turn with what it is compared with — same load,
 * interleaved round by round — so the ratios hold on a busy 2-core machine where raw numbers do
 * not. Only one load runs at a time. `workDir` receives the services' logs (and profiles).
 */
export async function runBenchmark(options: BenchOptions, workDir: string): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const samples = [loadavg()[0]!];
  const sampler = setInterval(() => samples.push(loadavg()[0]!), 5_000);
  try {
    const stack = await startApiStack({
      documents: 50,
      // Enough that no conversation of the sustained run passes ~25 turns.
      conversations: Math.max(8, Math.ceil(Math.max(...options.memory.checkpoints) / 25)),
      workDir,
    });
    let http: HttpSection, turns: TurnSection, memory: MemorySection;
    try {
      http = await measureHttpRows(stack, options.http, `${workDir}/logs`);
      turns = await measureTurnRows(stack, options.turns);
      memory = await measureTurnMemory(stack, options.memory);
    } finally {
      await stack.close();
    }
    const queue = await measureQueue(options.queue, `${workDir}/logs`);
    samples.push(loadavg()[0]!);
    return {
      startedAt,
      machine: {
        node: process.version,
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverage: { before: samples[0]!, after: samples.at(-1)!, max: Math.max(...samples), samples },
      },
      options,
      http,
      turns,
      memory,
      queue,
    };
  } finally {
    clearInterval(sampler);
  }
}
