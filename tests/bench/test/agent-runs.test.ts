import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AGENT_RUN_SMOKE, runAgentRunBench } from '../src/agent-run-bench.ts';
import { formatAgentRunResults } from '../src/agent-run-report.ts';

// The agent-run benchmark with tiny counts: the api, the agent, the latency model and real
// task-runner processes (dist/); every run checked done exactly once (the bench throws otherwise),
// every number reported. No assertion on a time or a rate's size.
it('runs agent-run rounds with one and two task-runner replicas and reports runs/s, model concurrency and CPU per run', async () => {
  const results = await runAgentRunBench(AGENT_RUN_SMOKE, mkdtempSync(join(tmpdir(), 'keelson-bench-runs-')));
  expect(results.options.concurrency).toBeGreaterThan(0);
  expect(results.rows.map((row) => row.replicas)).toEqual([1, 2]);
  for (const row of results.rows) {
    expect(row.rounds).toHaveLength(AGENT_RUN_SMOKE.rounds);
    expect(row.runsPerSecond).toBeGreaterThan(0);
    // The model saw at least one request and never more at once than the replicas may send.
    expect(row.maxModelInFlight).toBeGreaterThan(0);
    expect(row.maxModelInFlight).toBeLessThanOrEqual(row.replicas * results.options.concurrency);
    expect(row.cpuMsPerRun.runners).toBeGreaterThan(0);
    expect(row.cpuMsPerRun.agent).toBeGreaterThan(0);
  }
  expect(results.rows[0]!.speedup).toEqual({ median: 1, min: 1, max: 1 });
  expect(formatAgentRunResults(results)).toMatch(/^2 +\d+\.\d/m);
  console.info(formatAgentRunResults(results));
});
