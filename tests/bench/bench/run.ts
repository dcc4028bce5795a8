import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { FULL_RUN, runBenchmark } from '../src/harness.ts';
import { formatResults, writeResults } from '../src/report.ts';

// `pnpm bench`: the full run, through vitest only because that is how @repo/testing hands out
// Postgres and Redis and how the apps' test helpers reused here find them (inject()).
// `pnpm --filter @repo/bench bench:profile` (BENCH_CPU_PROFILE=1) also profiles the task-runner.
const RESULTS = fileURLToPath(new URL('../results/latest.json', import.meta.url));

it('measures the api and the task-runner against their baselines', async () => {
  const cpuProfile = process.env.BENCH_CPU_PROFILE === '1';
  const results = await runBenchmark({ ...FULL_RUN, queue: { ...FULL_RUN.queue, cpuProfile } });
  writeResults(RESULTS, results);
  console.log(`${formatResults(results)}\n\nJSON: ${RESULTS}`);
  // Rates of error answers (429, 503, refused connections) are not rates of the api's work.
  for (const row of results.http) {
    expect({ non2xx: row.result.non2xx, errors: row.result.errors }, row.name).toEqual({
      non2xx: 0,
      errors: 0,
    });
  }
});
