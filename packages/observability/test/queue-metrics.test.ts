import { describe, expect, it } from 'vitest';
import {
  createJobMetrics,
  createMetricsRegistry,
  createRoleGauge,
  registerQueueDepthGauge,
  type Registry,
} from '../src/index.ts';

/** The value of one series in the exposition text, whatever order its labels are printed in. */
async function sample(registry: Registry, name: string, labels: Record<string, string> = {}) {
  for (const line of (await registry.metrics()).split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('the queue metrics', () => {
  it('records duration by queue and outcome, and counts final failures and retries apart', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const metrics = createJobMetrics(registry);
    metrics.observe('ingest-document', 'completed', 0.2);
    metrics.observe('ingest-document', 'retrying', 1);
    metrics.observe('ingest-document', 'retrying', 2);
    metrics.observe('ingest-document', 'failed', 3);
    metrics.observe('ingest-document', 'cancelled', 0.1);
    metrics.observe('ingest-document', 'interrupted', 0.1);

    const queue = 'ingest-document';
    const count = (outcome: string) =>
      sample(registry, 'bullmq_job_duration_seconds_count', { service: 'test', queue, outcome });
    expect(await count('completed')).toBe(1);
    expect(await count('retrying')).toBe(2);
    expect(await count('cancelled')).toBe(1);
    expect(await sample(registry, 'bullmq_job_retries_total', { queue })).toBe(2);
    // Cancelled and interrupted runs are neither failures nor retries.
    expect(await sample(registry, 'bullmq_job_failures_total', { queue })).toBe(1);
  });

  it('starts the failure and retry counters of the queues it is given at 0', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const metrics = createJobMetrics(registry, ['ingest-document', 'agent-run']);
    for (const queue of ['ingest-document', 'agent-run']) {
      expect(await sample(registry, 'bullmq_job_failures_total', { queue }), queue).toBe(0);
      expect(await sample(registry, 'bullmq_job_retries_total', { queue }), queue).toBe(0);
    }
    expect(await sample(registry, 'bullmq_job_failures_total', { queue: 'maintenance' })).toBeUndefined();
    metrics.observe('agent-run', 'failed', 1);
    expect(await sample(registry, 'bullmq_job_failures_total', { queue: 'agent-run' })).toBe(1);
  });

  it('reads queue depth at scrape time and drops the series when the read fails', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    let waiting = 3;
    let fail = false;
    const errors: unknown[] = [];
    registerQueueDepthGauge(
      registry,
      async () => {
        if (fail) throw new Error('redis down');
        return [{ queue: 'ingest-document', counts: { waiting, active: 1 } }];
      },
      (error) => errors.push(error),
    );

    const depth = (state: string) =>
      sample(registry, 'bullmq_job_count', { service: 'test', queue: 'ingest-document', state });
    expect(await depth('waiting')).toBe(3);
    expect(await depth('active')).toBe(1);
    waiting = 7;
    expect(await depth('waiting')).toBe(7);
    fail = true;
    expect(await depth('waiting')).toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('exposes a role gauge', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const leader = createRoleGauge(registry, 'task_runner_leader', 'help');
    leader.set(1);
    expect(await sample(registry, 'task_runner_leader')).toBe(1);
    leader.set(0);
    expect(await sample(registry, 'task_runner_leader')).toBe(0);
  });
});
