import type { LoadPlan, LoadStep, LoadTarget, StepResult } from './load-plan.ts';
import { runLoad } from './load.ts';
import { percentile } from './stats.ts';

/** How long every subject of a comparison is loaded: the same for all of them. */
export interface RoundsLoad {
  /** Load on each closed-loop subject before measuring, dropped. */
  warmupS: number;
  /** Measured load on each subject, split into `rounds` equal rounds. */
  durationS: number;
  rounds: number;
}

export interface Subject {
  name: string;
  target: LoadTarget;
  connections: number;
  /** Paced at `fraction` of the closed-loop rate `of` (an earlier subject) reached in the same round. */
  pace?: { of: string; fraction: number };
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
}

export interface RoundResult {
  durationS: number;
  requestsPerSecond: number;
  responses2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: Latency;
  pacedAt?: number;
}

/** A subject's rounds, and its numbers over all rounds together. */
export interface Measured {
  name: string;
  connections: number;
  /** 2xx responses over the measured time of every round. */
  requestsPerSecond: number;
  responses2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  /** Of every 2xx response of every round. */
  latencyMs: Latency;
  rounds: RoundResult[];
  /** 2xx answers of the warm-up (not measured; counted for checks of the work done, e.g. turns). */
  warmupResponses2xx: number;
}

const latencyOf = (values: readonly number[]): Latency => {
  const sorted = Float64Array.from(values).sort();
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) };
};

/**
 * Loads the subjects round by round, each in turn (after a warm-up of each): a burst of other work
 * on the machine then falls on a subject and its baseline alike, instead of on whichever happened
 * to run during it. One load client process runs the whole plan.
 */
export async function measureRounds(subjects: Subject[], load: RoundsLoad): Promise<Measured[]> {
  const targets = subjects.map((subject) => subject.target);
  const steps: LoadStep[] = [];
  const warmupOf: Array<number | undefined> = subjects.map((subject, target) =>
    load.warmupS > 0 && !subject.pace
      ? steps.push({ target, connections: subject.connections, durationS: load.warmupS }) - 1
      : undefined,
  );
  const roundS = load.durationS / load.rounds;
  /** stepOf[subject][round] */
  const stepOf: number[][] = subjects.map(() => []);
  for (let round = 0; round < load.rounds; round++) {
    subjects.forEach((subject, target) => {
      const step: LoadStep = { target, connections: subject.connections, durationS: roundS };
      if (subject.pace) {
        const of = subjects.findIndex((other) => other.name === subject.pace!.of);
        if (of === -1 || of >= target) throw new Error(`${subject.name}: pace of an earlier subject`);
        step.pace = { ofStep: stepOf[of]![round]!, fraction: subject.pace.fraction };
      }
      stepOf[target]!.push(steps.push(step) - 1);
    });
  }
  const plan: LoadPlan = { targets, steps };
  const results = await runLoad(plan, steps.length * (Math.max(load.warmupS, roundS) + 15) + 60);
  return subjects.map((subject, index) => {
    const warmup = warmupOf[index];
    return measured(
      subject,
      stepOf[index]!.map((step) => results[step]!),
      warmup === undefined ? 0 : results[warmup]!.responses2xx,
    );
  });
}

function measured(
  subject: Pick<Subject, 'name' | 'connections'>,
  steps: StepResult[],
  warmupResponses2xx: number,
): Measured {
  const sum = (pick: (step: StepResult) => number) => steps.reduce((total, step) => total + pick(step), 0);
  const durationS = sum((step) => step.durationS);
  const responses2xx = sum((step) => step.responses2xx);
  return {
    name: subject.name,
    connections: subject.connections,
    requestsPerSecond: responses2xx / durationS,
    responses2xx,
    non2xx: sum((step) => step.non2xx),
    errors: sum((step) => step.errors),
    timeouts: sum((step) => step.timeouts),
    durationS,
    latencyMs: latencyOf(steps.flatMap((step) => step.latencies)),
    rounds: steps.map(({ latencies: _all, ...round }) => round),
    warmupResponses2xx,
  };
}
