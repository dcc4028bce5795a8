import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { FAIRNESS_RUN, runFairnessBench } from '../src/fairness-bench.ts';
import { formatFairnessResults } from '../src/fairness-report.ts';

// `pnpm bench`: owner B's wait behind owner A's backlog, with places in line and without.
const RESULTS = fileURLToPath(new URL('../results/fairness.json', import.meta.url));

it("measures another owner's wait behind one owner's backlog", async () => {
  const results = await runFairnessBench(FAIRNESS_RUN);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`${formatFairnessResults(results)}\n\nJSON: ${RESULTS}`);
  // Counts of jobs, not times: the mechanism's bound, and what first-in-first-out does instead.
  for (const round of results.rounds) {
    expect(round.fair.startedAheadOfB).toBeLessThanOrEqual(results.bound);
    expect(round.fifo.startedAheadOfB).toBe(round.fifo.waitingAtArrival);
  }
});
