import type { ReplicaResults } from './replica-bench.ts';
import { fixed, spread, table } from './table.ts';

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
  const orNa = (value: number | null, digits: number) => (value === null ? 'n/a' : fixed(value, digits));
  const rows = results.rows.map((row) => [
    String(row.replicas),
    orNa(row.jobsPerSecond, 0),
    spread(row.speedup),
    orNa(row.cpuPer1000Jobs.runners, 2),
    orNa(row.cpuPer1000Jobs.postgres, 2),
    orNa(row.cpuPer1000Jobs.redis, 2),
  ]);
  const { cpus, loadBefore, loadAfter } = results.machine;
  return [
    `Queue: ingest-document with N task-runner replicas (${results.options.jobs} jobs × ${results.options.rounds} rounds each; ${cpus} CPUs, load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)})`,
    table(header, rows),
  ].join('\n');
}
