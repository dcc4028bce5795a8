import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { AGENT_RUN_RUN, runAgentRunBench } from '../src/agent-run-bench.ts';
import { formatAgentRunResults } from '../src/agent-run-report.ts';

// `pnpm bench:agent-runs:concurrency`: the agent-run rows with AGENT_RUN_CONCURRENCY 8 instead of
// the default, 1 and 3 replicas: what one replica carries when given more runs at once, and where
// 24 runs in flight take the shared agent, Postgres and Redis. Not part of `pnpm bench`.
const RESULTS = fileURLToPath(new URL('../results/agent-runs-concurrency.json', import.meta.url));

it('measures agent-run throughput with AGENT_RUN_CONCURRENCY 8 by task-runner replica count', async () => {
  const results = await runAgentRunBench(
    { ...AGENT_RUN_RUN, replicas: [1, 3], runs: 96, rounds: 2, concurrency: 8 },
    mkdtempSync(join(tmpdir(), 'keelson-bench-runs-')),
  );
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`${formatAgentRunResults(results)}\n\nJSON: ${RESULTS}`);
  for (const row of results.rows) expect(row.runsPerSecond, `${row.replicas} replicas`).toBeGreaterThan(0);
});
