import { expect, it } from 'vitest';
import { REPLICA_SMOKE, runReplicaBench } from '../src/replica-bench.ts';
import { formatReplicaResults } from '../src/replica-report.ts';

// The replica benchmark with tiny counts: real task-runner processes (dist/) sharing one queue,
// every job checked done, every number reported.
it('runs rounds with one and two task-runner replicas and reports throughput and CPU per job', async () => {
  const results = await runReplicaBench(REPLICA_SMOKE);
  expect(results.rows.map((row) => row.replicas)).toEqual([1, 2]);
  for (const row of results.rows) {
    expect(row.rounds).toHaveLength(1);
    expect(row.jobsPerSecond).toBeGreaterThan(0);
    expect(row.cpuPer1000Jobs.runners).toBeGreaterThan(0);
  }
  expect(results.rows[0]!.speedup).toEqual({ median: 1, min: 1, max: 1 });
  const table = formatReplicaResults(results);
  expect(table).toMatch(/^2 +\d+/m);
  console.info(table);
});
