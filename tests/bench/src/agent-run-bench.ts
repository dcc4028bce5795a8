import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@repo/db';
import { createProducer, createRedis } from '@repo/queue';
import { freePort, waitFor } from '@repo/testing';
import { loadConfig } from '../../../apps/task-runner/src/config.ts';
import { profiledProcesses } from './agent-run-profiles.ts';
import { startApiStack } from './api-stack.ts';
import { checkExactlyOnce, submitAgentRuns, waitUntilFinal } from './agent-run-round.ts';
import { containerCpu, processCpu, type CpuClock } from './cpu-meter.ts';
import { PROD_NODE_OPTIONS } from './processes.ts';
import { startRunnerReplica, type RunnerReplica } from './runner-replicas.ts';
import { spread, type Spread } from './stats.ts';

export interface AgentRunLoad {
  /** Replica counts to compare, each against the first. */
  replicas: readonly number[];
  /** Agent runs queued, then processed, in each round (one fresh conversation each). */
  runs: number;
  /** Owners the runs are spread over, in turn: each stays under the api's open-run quota (20). */
  owners: number;
  /** Rounds of every replica count in turn (1, 2, 3, 1, 2, 3, …). */
  rounds: number;
  /** How long the model takes to answer each chat request. */
  modelLatencyMs: number;
  /** AGENT_RUN_CONCURRENCY of every replica; unset: the task-runner's production default. */
  concurrency?: number;
  /** CPU-profile the agent and every runner during the last round of the most replicas. */
  profile?: boolean;
}

/** `pnpm bench`: 3 rounds of 1, 2, 3 replicas, 60 runs each, a 300-ms model (~2 min with start-up). */
export const AGENT_RUN_RUN: AgentRunLoad = {
  replicas: [1, 2, 3],
  runs: 60,
  owners: 6,
  rounds: 3,
  modelLatencyMs: 300,
};
export const AGENT_RUN_SMOKE: AgentRunLoad = {
  replicas: [1, 2],
  runs: 8,
  owners: 2,
  rounds: 1,
  modelLatencyMs: 100,
};

/** CPU ms per run of each process (null where it cannot be read here: a remote Postgres). */
export interface CpuPerRun {
  runners: number;
  agent: number;
  api: number;
  model: number;
  postgres: number | null;
  redis: number | null;
}

export interface AgentRunRound {
  replicas: number;
  elapsedMs: number;
  runsPerSecond: number;
  /** Chat requests the model held at once, at most: replicas × concurrency when they add up. */
  maxModelInFlight: number;
  /** runs/s ÷ (replicas × concurrency ÷ model latency): 1 = every slot always waiting on the model. */
  ofIdeal: number;
  cpuMsPerRun: CpuPerRun;
  /** The 1-minute load average when the round ended. */
  loadAverage: number;
}

export interface AgentRunRow {
  replicas: number;
  /** Every round's runs over their total time. */
  runsPerSecond: number;
  /** runs/s ÷ the one-replica runs/s of the same round index: median (min–max). */
  speedup: Spread;
  /** replicas × concurrency ÷ model latency: the rate if runs were nothing but the model's wait. */
  idealRunsPerSecond: number;
  ofIdeal: Spread;
  maxModelInFlight: number;
  /** Over every round of this count. */
  cpuMsPerRun: CpuPerRun;
  rounds: AgentRunRound[];
}

export interface AgentRunResults {
  machine: { cpus: number; loadAverage: { before: number; after: number; max: number } };
  options: AgentRunLoad & { concurrency: number };
  rows: AgentRunRow[];
  /** With `profile`: the profiles written, one per process (`.cpuprofile`). */
  profiles: { service: string; file: string }[];
}

interface Clocks {
  agent: CpuClock;
  api: CpuClock;
  model: CpuClock;
  postgres: CpuClock;
  redis: CpuClock;
}

/**
 * Agent runs/s with 1, 2, 3, … task-runner replicas, each a process as its image runs it, sharing
 * the api, the agent, Postgres and Redis; the model answers after a fixed latency. A run waits on
 * the model, not on a core, so each replica adds AGENT_RUN_CONCURRENCY runs in flight and runs/s
 * should grow with the replicas until something else saturates. Each round stores fresh
 * conversations and queues one run per conversation through the api's `POST /v1/tasks` (the
 * queue paused, so the owners' places are counted as in production), brings the replica count to
 * the round's (untimed), resumes the queue and times until the last job finished.
 */
export async function runAgentRunBench(load: AgentRunLoad, workDir: string): Promise<AgentRunResults> {
  const samples = [loadavg()[0]!];
  const sampler = setInterval(() => samples.push(loadavg()[0]!), 5_000);
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const statsPort = await freePort();
  const stack = await startApiStack({
    documents: 0,
    conversations: 0,
    workDir,
    ...(load.profile ? { profile: true } : {}),
    model: {
      script: 'src/servers/latency-model.ts',
      env: { MODEL_LATENCY_MS: String(load.modelLatencyMs), STATS_PORT: String(statsPort) },
    },
  });
  const runnerEnv: Record<string, string> = {
    ...stack.connections,
    AGENT_URL: stack.agent.origin,
    SERVICE_AUTH_TOKEN: stack.serviceToken,
    ...(load.concurrency === undefined ? {} : { AGENT_RUN_CONCURRENCY: String(load.concurrency) }),
  };
  // What the replicas run with: the production default unless the load sets it.
  const { AGENT_RUN_CONCURRENCY: concurrency } = loadConfig({
    NODE_ENV: 'production',
    NODE_OPTIONS: PROD_NODE_OPTIONS,
    ...runnerEnv,
  });
  const redis = createRedis(stack.connections.REDIS_URL, 'producer', 'bench-agent-runs');
  redis.on('error', () => {});
  const producer = createProducer({ connection: redis, prefix: stack.connections.QUEUE_PREFIX });
  const queue = await producer.queue('agent-run');
  const db = createDatabase(stack.pool);
  const clocks: Clocks = {
    agent: processCpu(stack.agent.pid),
    api: processCpu(stack.api.pid),
    model: processCpu(stack.model.pid),
    postgres: await containerCpu(new URL(stack.connections.DATABASE_URL).port),
    redis: await containerCpu(new URL(stack.connections.REDIS_URL).port),
  };
  const running: RunnerReplica[] = [];
  const rounds: AgentRunRound[] = [];
  const profiled = load.profile ? profiledProcesses(stack, running, workDir) : undefined;
  const profileRound = { round: load.rounds - 1, replicas: Math.max(...load.replicas) };
  try {
    await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
    await queue.pause();
    const scaleTo = async (count: number) => {
      while (running.length < count) {
        running.push(await startRunnerReplica(runnerEnv, logDir, profiled?.runnerDir(running.length)));
      }
      while (running.length > count) await running.pop()!.stop();
    };
    await scaleTo(1);
    for (let round = 0; round < load.rounds; round++) {
      for (const replicas of load.replicas) {
        const submitted = await submitAgentRuns(stack, db, load, `round ${round + 1}`);
        await scaleTo(replicas);
        await modelStats(statsPort, 'reset');
        const profiling = profiled && round === profileRound.round && replicas === profileRound.replicas;
        if (profiling) profiled.toggle();
        const cpuBefore = readCpu(clocks, running);
        const resumedAt = Date.now();
        await queue.resume();
        await waitUntilFinal(db, submitted);
        // The tasks row is marked inside the job; BullMQ's completion (finishedOn) comes just after.
        let lastFinished = resumedAt;
        await waitFor(
          async () => {
            const jobs = await Promise.all(submitted.map(({ taskId }) => queue.getJob(taskId)));
            if (!jobs.every((job) => job?.finishedOn)) return false;
            for (const job of jobs) lastFinished = Math.max(lastFinished, job!.finishedOn!);
            return true;
          },
          { timeoutMs: 30_000, intervalMs: 50, what: 'the round’s jobs completed in BullMQ' },
        );
        const cpuAfter = readCpu(clocks, running);
        if (profiling) await profiled.collect();
        await queue.pause();
        await queue.clean(0, 0, 'completed');
        const model = await modelStats(statsPort, 'read');
        // Each run was processed once: one attempt, one run, one reply, one model call.
        await checkExactlyOnce(db, submitted, model.requests);
        const elapsedMs = lastFinished - resumedAt;
        const runsPerSecond = submitted.length / (elapsedMs / 1000);
        rounds.push({
          replicas,
          elapsedMs,
          runsPerSecond,
          maxModelInFlight: model.maxInFlight,
          ofIdeal: runsPerSecond / ideal(replicas, concurrency, load.modelLatencyMs),
          cpuMsPerRun: cpuPerRun(cpuBefore, cpuAfter, submitted.length),
          loadAverage: loadavg()[0]!,
        });
      }
    }
  } finally {
    clearInterval(sampler);
    await Promise.all(running.map((runner) => runner.stop()));
    await queue.obliterate({ force: true }).catch(() => {});
    await producer.close();
    redis.disconnect();
    await stack.close();
  }
  samples.push(loadavg()[0]!);
  return {
    machine: {
      cpus: availableParallelism(),
      loadAverage: { before: samples[0]!, after: samples.at(-1)!, max: Math.max(...samples) },
    },
    options: { ...load, concurrency },
    rows: rowsOf(load, concurrency, rounds),
    profiles: profiled?.files ?? [],
  };
}

const ideal = (replicas: number, concurrency: number, latencyMs: number) =>
  (replicas * concurrency) / (latencyMs / 1000);

function rowsOf(load: AgentRunLoad, concurrency: number, rounds: AgentRunRound[]): AgentRunRow[] {
  const single = rounds.filter((r) => r.replicas === load.replicas[0]);
  return load.replicas.map((replicas) => {
    const mine = rounds.filter((r) => r.replicas === replicas);
    const seconds = mine.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
    const runs = mine.length * load.runs;
    // Each round's CPU per run weighed by its runs (every round has the same count).
    const mean = (pick: (cpu: CpuPerRun) => number | null) =>
      mine.some((r) => pick(r.cpuMsPerRun) === null)
        ? null
        : mine.reduce((sum, r) => sum + pick(r.cpuMsPerRun)!, 0) / mine.length;
    return {
      replicas,
      runsPerSecond: runs / seconds,
      speedup: spread(mine.map((r, i) => r.runsPerSecond / single[i]!.runsPerSecond)),
      idealRunsPerSecond: ideal(replicas, concurrency, load.modelLatencyMs),
      ofIdeal: spread(mine.map((r) => r.ofIdeal)),
      maxModelInFlight: Math.max(...mine.map((r) => r.maxModelInFlight)),
      cpuMsPerRun: {
        runners: mean((c) => c.runners)!,
        agent: mean((c) => c.agent)!,
        api: mean((c) => c.api)!,
        model: mean((c) => c.model)!,
        postgres: mean((c) => c.postgres),
        redis: mean((c) => c.redis),
      },
      rounds: mine,
    };
  });
}

type CpuReading = Record<keyof Clocks | 'runners', number | undefined>;

function readCpu(clocks: Clocks, running: readonly RunnerReplica[]): CpuReading {
  return {
    // RunnerReplica reads seconds; every other clock here reads ms.
    runners: running.reduce((sum, runner) => sum + runner.cpuSeconds() * 1_000, 0),
    agent: clocks.agent(),
    api: clocks.api(),
    model: clocks.model(),
    postgres: clocks.postgres(),
    redis: clocks.redis(),
  };
}

function cpuPerRun(before: CpuReading, after: CpuReading, runs: number): CpuPerRun {
  const per = (key: keyof CpuReading) => {
    const [start, end] = [before[key], after[key]];
    return start === undefined || end === undefined ? null : (end - start) / runs;
  };
  const own = (key: 'runners' | 'agent' | 'api' | 'model') => {
    const value = per(key);
    if (value === null) throw new Error(`no CPU reading of the ${key} process`);
    return value;
  };
  return {
    runners: own('runners'),
    agent: own('agent'),
    api: own('api'),
    model: own('model'),
    postgres: per('postgres'),
    redis: per('redis'),
  };
}

/** The latency model's counts (src/servers/latency-model.ts); `reset` starts a round's. */
async function modelStats(
  port: number,
  action: 'reset' | 'read',
): Promise<{ requests: number; inFlight: number; maxInFlight: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/stats${action === 'reset' ? '/reset' : ''}`, {
    method: action === 'reset' ? 'POST' : 'GET',
  });
  if (!response.ok) throw new Error(`the latency model's stats answered ${response.status}`);
  return (await response.json()) as { requests: number; inFlight: number; maxInFlight: number };
}
