import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { AGENT_RUN_RUN, runAgentRunBench } from '../src/agent-run-bench.ts';
import { formatAgentRunResults } from '../src/agent-run-report.ts';

// `pnpm bench`: agent runs/s with 1, 2 and 3 task-runner replicas, the model answering after 300 ms.
const RESULTS = fileURLToPath(new URL('../results/agent-runs.json', import.meta.url));

it('measures agent-run throughput by task-runner replica count', async () => {
  const results = await runAgentRunBench(AGENT_RUN_RUN, mkdtempSync(join(tmpdir(), 'keelson-bench-runs-')));
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`${formatAgentRunResults(results)}\n\nJSON: ${RESULTS}`);
  for (const row of results.rows) expect(row.runsPerSecond, `${row.replicas} replicas`).toBeGreaterThan(0);
});
