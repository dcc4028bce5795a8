import type { ReplicaResults } from './replica-bench.ts';

const fixed = (value: number | null, digits: number) =>
  value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);

/** The replica rows as a person reads them: throughput, speed-up over one replica, CPU per 1,000 jobs. */
export function formatReplicaResults(results: ReplicaResults): string {
  const header = [
    'task-runner replicas',
    'jobs/s',
    'speed-up',
    'runner CPU s/1k',
    'Postgres CPU s/1k',
    'Redis CPU s/1k',
  ];
  const rows = results.rows.map((row) => [
    String(row.replicas),
    fixed(row.jobsPerSecond, 0),
    row.speedup.min === row.speedup.max
      ? `${fixed(row.speedup.median, 2)}x`
      : `${fixed(row.speedup.median, 2)}x (${fixed(row.speedup.min, 2)}–${fixed(row.speedup.max, 2)})`,
    fixed(row.cpuPer1000Jobs.runners, 2),
    fixed(row.cpuPer1000Jobs.postgres, 2),
    fixed(row.cpuPer1000Jobs.redis, 2),
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const { cpus, loadBefore, loadAfter } = results.machine;
  return [
    `Queue: ingest-document with N task-runner replicas (${results.options.jobs} jobs × ${results.options.rounds} rounds each; ${cpus} CPUs, load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)})`,
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(line),
  ].join('\n');
}
