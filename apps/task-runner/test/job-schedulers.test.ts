import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRunner, sample } from './support/test-runner.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack('schedulers');
});
afterAll(async () => {
  await stack?.close();
});

describe('the job schedulers', () => {
  it('are upserted on every leader start: five restarts leave one entry per scheduler', async () => {
    const maintenance = await stack.producer.queue('maintenance');
    // A scheduler from an older release that the job table no longer has.
    await maintenance.upsertJobScheduler(
      'retired-cleanup',
      { every: 3_600_000 },
      { name: 'maintenance', data: {} },
    );

    for (let start = 1; start <= 5; start++) {
      // The last start also changes the interval: the entry is updated, not duplicated.
      const everyMs = start === 5 ? 20 * 60_000 : 10 * 60_000;
      const t = await createTestRunner({ stack, env: { MAINTENANCE_INTERVAL_MS: String(everyMs) } });
      try {
        await t.startLeading();
        expect(await sample(t.metrics, 'task_runner_leader')).toBe(1);
      } finally {
        await t.close();
      }
      expect(await sample(t.metrics, 'task_runner_leader')).toBe(0);
    }

    const schedulers = await maintenance.getJobSchedulers();
    expect(schedulers.map((scheduler) => ({ key: scheduler.key, every: scheduler.every }))).toEqual([
      { key: 'maintenance', every: 20 * 60_000 },
    ]);
    expect(await maintenance.getJobSchedulersCount()).toBe(1);
    // And one pending run of it: the first run happened at the first start, the next is scheduled.
    const pending = await maintenance.getJobs(['delayed', 'waiting', 'prioritized']);
    expect(pending.filter((job) => job.repeatJobKey === 'maintenance')).toHaveLength(1);
    expect(pending.filter((job) => job.repeatJobKey === 'retired-cleanup')).toHaveLength(0);
    // The template carries the contract's retry policy and bounded retention.
    expect(pending[0]?.opts).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential' },
      removeOnComplete: { age: 24 * 3600 },
    });
  });
});
