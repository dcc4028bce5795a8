import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { formatSummary, readProfile, summarizeProfile } from '../src/cpu-profile.ts';
import { FAIRNESS_RUN, runFairnessBench } from '../src/fairness-bench.ts';
import { formatFairnessResults } from '../src/fairness-report.ts';
import { RUNNER_SUSPECTS } from '../src/ingest-profile.ts';

// `pnpm bench:profile:fairness`: the fairness bench's two task-runner replicas CPU-profiled over
// every timed drain of A's backlog, fair and first-in-first-out, as the bench README quotes them.
// Its jobs/s are the profiler's too: the timed numbers are bench/fairness.ts's.
const OUT = fileURLToPath(new URL('../results/profiles/fairness', import.meta.url));

it('profiles the task-runners draining a backlog, fair and first-in-first-out', async () => {
  rmSync(OUT, { recursive: true, force: true });
  const results = await runFairnessBench({ ...FAIRNESS_RUN, rounds: 2 }, { profileDir: OUT });
  const sections = results.rounds.flatMap((round, index) =>
    (['fair', 'fifo'] as const).flatMap((mode) =>
      (round[mode].profiles ?? []).map(
        (file, replica) =>
          `## round ${index + 1}, ${mode}: task-runner ${replica + 1} (A's ${results.options.backlog} jobs at ` +
          `${round[mode].jobsPerSecond.toFixed(0)} jobs/s while sampled)\n${file}\n` +
          formatSummary(summarizeProfile(readProfile(file), { top: 20, inclusive: RUNNER_SUSPECTS })),
      ),
    ),
  );
  const text = `${formatFairnessResults(results)}\n\n${sections.join('\n\n')}\n`;
  writeFileSync(`${OUT}/summary.txt`, text);
  console.log(text);
  expect(results.rounds.every((round) => round.fair.profiles?.length === results.options.replicas)).toBe(
    true,
  );
});
