import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { FULL_RUN, runBenchmark } from '../src/harness.ts';
import { formatResults, writeResults } from '../src/report.ts';

// `pnpm bench`: the full run, through vitest only because that is how @repo/testing hands out
// Postgres and Redis (inject()). The apps themselves run as separate processes (src/processes.ts).
const RESULTS = fileURLToPath(new URL('../results/latest.json', import.meta.url));
// The services' logs of the last run (git-ignored with results/).
const WORK_DIR = fileURLToPath(new URL('../results/last-run', import.meta.url));

it('measures the api, the agent turn and the task-runner against their baselines', async () => {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const results = await runBenchmark(FULL_RUN, WORK_DIR);
  writeResults(RESULTS, results);
  console.log(`${formatResults(results)}\n\nJSON: ${RESULTS}\nlogs: ${WORK_DIR}/logs`);
  // Rates of error answers (429, 503, refused connections) are not rates of the api's work.
  for (const subject of [...results.http.subjects, ...results.turns.subjects]) {
    expect({ non2xx: subject.non2xx, errors: subject.errors }, subject.name).toEqual({
      non2xx: 0,
      errors: 0,
    });
  }
});
