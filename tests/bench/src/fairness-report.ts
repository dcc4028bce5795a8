import type { FairnessResults } from './fairness-bench.ts';
import type { DrainWork } from './fairness-work.ts';
import type { QueueRound } from './queue-drain.ts';
import { spread, type Spread } from './stats.ts';

const range = (value: Spread, digits: number) =>
  value.min === value.max
    ? value.median.toFixed(digits)
    : `${value.median.toFixed(digits)} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)})`;

/** The fairness rows as a person reads them: B's wait in jobs and as a ratio, and the cost. */
export function formatFairnessResults(results: FairnessResults): string {
  const { options, machine } = results;
  const waiting = results.rounds.map((round) => round.fifo.waitingAtArrival);
  const rows = [
    ['', 'fair (places in line)', 'first-in-first-out'],
    [
      "jobs started ahead of B's",
      range(results.startedAheadOfB.fair, 0),
      range(results.startedAheadOfB.fifo, 0),
    ],
    [
      "B's wait ÷ its wait on an empty queue",
      range(results.waitRatio.fair, 1),
      range(results.waitRatio.fifo, 1),
    ],
    [
      "A's backlog jobs/s, rounds",
      results.rounds.map((round) => round.fair.jobsPerSecond.toFixed(0)).join(', '),
      results.rounds.map((round) => round.fifo.jobsPerSecond.toFixed(0)).join(', '),
    ],
    ["A's backlog jobs/s, fair ÷ fifo", range(results.throughputRatio, 2), ''],
    [
      "A's job, processedOn → finishedOn (ms, median), rounds",
      results.rounds.map((round) => round.fair.activeMs.toFixed(0)).join(', '),
      results.rounds.map((round) => round.fifo.activeMs.toFixed(0)).join(', '),
    ],
    [
      'no-op BullMQ worker jobs/s, median per round',
      results.rounds.map((round) => noopMedian(round.bullmq.prioritized)).join(', '),
      results.rounds.map((round) => noopMedian(round.bullmq.plain)).join(', '),
    ],
    ['no-op BullMQ worker, prioritized ÷ plain', range(results.bullmqRatio, 2), ''],
    ...workRows(results),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [
    `Fairness: owner A queues ${options.backlog} ingest jobs, B queues 1 after ${options.arriveAfter * 100} % of them (${waiting.join(', ')} still waiting); ${options.replicas} task-runner replicas × ${options.concurrency}; bound ${results.bound} job started ahead of B; ${options.rounds} rounds; ${machine.cpus} CPUs, load ${machine.loadBefore.toFixed(1)} → ${machine.loadAfter.toFixed(1)}`,
    line(rows[0]!),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

const noopMedian = (drains: QueueRound[]) =>
  spread(drains.map((drained) => drained.jobsPerSecond)).median.toFixed(0);

/** The median over the rounds of one per-job count of a mode's drains. */
function perJob(
  results: FairnessResults,
  mode: 'fair' | 'fifo',
  count: (work: DrainWork) => number | undefined,
) {
  const values = results.rounds
    .map((round) => round[mode])
    .flatMap((drain) => (drain.work ? [count(drain.work)] : []))
    .filter((value): value is number => value !== undefined);
  return values.length === 0 ? undefined : spread(values);
}

/**
 * Where a difference in jobs/s comes from, per job of the drain (median of the rounds): Redis's
 * commands (all, and those that differ most between the modes), Postgres's transactions and rows,
 * CPU by process. Empty when the drains were not counted.
 */
function workRows(results: FairnessResults): string[][] {
  if (!results.rounds.some((round) => round.fair.work && round.fifo.work)) return [];
  const row = (label: string, count: (work: DrainWork) => number | undefined, digits = 1) => {
    const [fair, fifo] = (['fair', 'fifo'] as const).map((mode) => perJob(results, mode, count));
    return [label, fair ? range(fair, digits) : '–', fifo ? range(fifo, digits) : '–'];
  };
  const commands = new Set(
    results.rounds.flatMap((round) => [
      ...Object.keys(round.fair.work?.redis ?? {}),
      ...Object.keys(round.fifo.work?.redis ?? {}),
    ]),
  );
  const median = (mode: 'fair' | 'fifo', command: string) =>
    perJob(results, mode, (work) => work.redis[command] ?? 0)?.median ?? 0;
  // The commands whose count per job differs most between the modes, then the busiest.
  const telling = [...commands]
    .sort(
      (a, b) =>
        Math.abs(median('fair', b) - median('fifo', b)) - Math.abs(median('fair', a) - median('fifo', a)) ||
        median('fifo', b) - median('fifo', a),
    )
    .slice(0, 6);
  const cpu = ['runners', 'redis', 'postgres', 'bench'];
  return [
    row('per job: Redis commands (all)', (work) => work.redisTotal),
    ...telling.map((command) => row(`  ${command}`, (work) => work.redis[command] ?? 0, 2)),
    row('per job: Postgres transactions', (work) => work.transactions, 2),
    row('  rows inserted', (work) => work.rows.inserted),
    row('  rows updated', (work) => work.rows.updated),
    row('  rows fetched', (work) => work.rows.fetched),
    ...cpu.map((name) => row(`per job: CPU ms, ${name}`, (work) => work.cpuMs[name], 2)),
  ];
}
