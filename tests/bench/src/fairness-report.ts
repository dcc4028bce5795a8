import type { FairnessResults } from './fairness-bench.ts';
import type { Spread } from './stats.ts';

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
    ["A's backlog jobs/s, fair ÷ fifo", range(results.throughputRatio, 2), ''],
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
