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
  for (const drained of [...round!.bullmq.prioritized, ...round!.bullmq.plain]) {
    expect(drained.jobsPerSecond).toBeGreaterThan(0);
  }
  expect(round!.bullmq.prioritized.length).toBe(round!.bullmq.plain.length);
  // Every drain was counted, and did its work: a transaction per job at least (the task's states).
  for (const drain of [round!.fair, round!.fifo]) {
    expect(drain.work!.jobs).toBe(FAIRNESS_SMOKE.backlog + 1);
    expect(drain.work!.transactions).toBeGreaterThanOrEqual(1);
    expect(drain.work!.redisTotal).toBeGreaterThan(0);
  }
  const table = formatFairnessResults(results);
  expect(table).toMatch(/^jobs started ahead of B's/m);
  expect(table).toMatch(/^per job: Redis commands \(all\)/m);
  expect(table).toMatch(/^no-op BullMQ worker, prioritized ÷ plain/m);
  console.info(table);
  // Its own timeout: counting the drains waits 4 × 11 s for Postgres's statistics to settle.
}, 240_000);
