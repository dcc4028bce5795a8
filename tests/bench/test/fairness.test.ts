import { expect, it } from 'vitest';
import { FAIRNESS_SMOKE, runFairnessBench } from '../src/fairness-bench.ts';
import { formatFairnessResults } from '../src/fairness-report.ts';

// The fairness benchmark with tiny counts: real task-runner processes (dist/), every number reported.
it("reports B's wait behind A's backlog in jobs and as ratios, fair and first-in-first-out", async () => {
  const results = await runFairnessBench(FAIRNESS_SMOKE);
  const [round] = results.rounds;
  expect(results.rounds).toHaveLength(1);
  expect(round!.fair.startedAheadOfB).toBeLessThanOrEqual(results.bound);
  expect(round!.fifo.startedAheadOfB).toBe(round!.fifo.waitingAtArrival);
  expect(round!.fair.jobsPerSecond).toBeGreaterThan(0);
  const table = formatFairnessResults(results);
  expect(table).toMatch(/^jobs started ahead of B's/m);
  console.info(table);
});
