import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { REPLICA_RUN, runReplicaBench } from '../src/replica-bench.ts';
import { formatReplicaResults } from '../src/replica-report.ts';

// `pnpm bench`: ingest jobs/s with 1, 2 and 3 task-runner replicas on one Postgres and Redis.
const RESULTS = fileURLToPath(new URL('../results/replicas.json', import.meta.url));

it('measures ingestion throughput by task-runner replica count', async () => {
  const results = await runReplicaBench(REPLICA_RUN);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`${formatReplicaResults(results)}\n\nJSON: ${RESULTS}`);
  for (const row of results.rows) expect(row.jobsPerSecond, `${row.replicas} replicas`).toBeGreaterThan(0);
});
