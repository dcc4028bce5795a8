import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { documents, tasks } from '@repo/db';
import { createTcpProxy, waitFor } from '@repo/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, spawnRunner, type RunnerProcess } from './support/runner-process.ts';
import { createTestStack, documentText, type TestStack } from './support/test-stack.ts';

const run = promisify(execFile);
const stacks: TestStack[] = [];
const runners: RunnerProcess[] = [];
const containers: string[] = [];

afterAll(async () => {
  await killAll(runners);
  for (const stack of stacks) await stack.close();
  for (const id of containers) await run('docker', ['rm', '-f', id]).catch(() => {});
});

async function stackFor(label: string) {
  const stack = await createTestStack(label);
  stacks.push(stack);
  return stack;
}

describe('the task-runner process', () => {
  it('exits 0 within its shutdown budget on SIGTERM while Redis is unreachable, handing its job back', async () => {
    const stack = await stackFor('redis-down');
    const proxy = await createTcpProxy(stack.redisUrl);
    const budgetMs = 3_000;
    const runner = await spawnRunner('runner-redis-down', {
      ...stack.env,
      REDIS_URL: proxy.url(stack.redisUrl),
      SHUTDOWN_TIMEOUT_MS: String(budgetMs),
      DATABASE_STATEMENT_TIMEOUT_MS: '60000',
    });
    runners.push(runner);
    try {
      await runner.waitForStatus((status) => status.role === 'leader' && status.ready, 'leading');

      // A job that is busy (its document's row is locked) when Redis goes away.
      const [document] = await stack.db
        .insert(documents)
        .values({ ownerId: 'owner', title: 'busy', content: documentText(5), contentHash: 'h' })
        .returning();
      const lock = await stack.lockDocument(document!.id);
      const [task] = await stack.db
        .insert(tasks)
        .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId: document!.id } })
        .returning();
      await stack.producer.enqueue(
        'ingest-document',
        { taskId: task!.id, documentId: document!.id },
        { jobId: task!.id },
      );
      await waitFor(async () => (await stack.task(task!.id))?.status === 'running', { what: 'job running' });

      await proxy.cut();
      const signalledAt = performance.now();
      runner.kill('SIGTERM');
      const exit = await runner.exited;
      const elapsed = exit.at - signalledAt;
      console.info('sigterm with redis down: exit after', Math.round(elapsed), 'ms');

      // Exit 0: close-with-grace's backstop (budget + 5 s, exit 1) did not have to fire. The job
      // waited the whole budget (it could not finish), then the hand-back and forced close took
      // a bounded tail.
      expect(exit, runner.output().slice(-3_000)).toMatchObject({ code: 0, signal: null });
      expect(elapsed).toBeGreaterThanOrEqual(budgetMs);
      expect(elapsed).toBeLessThan(budgetMs + 4_000);
      expect(runner.output()).toContain('handing the job back to the queue');
      // Not failed, not an attempt used up: the task waits for its next run.
      expect(await stack.task(task!.id)).toMatchObject({ status: 'queued', attempts: 1 });
      await lock.release();
    } finally {
      await proxy.close();
    }
  });

  it('refuses to start when Redis may evict keys, naming the setting and how to fix it', async () => {
    const stack = await stackFor('eviction');
    // A throwaway Redis with another policy; the shared test Redis is never reconfigured.
    const { stdout } = await run('docker', [
      'run',
      '--detach',
      '--rm',
      '--publish',
      '127.0.0.1::6379',
      'redis:8',
      'redis-server',
      '--maxmemory-policy',
      'allkeys-lru',
    ]);
    const id = stdout.trim();
    containers.push(id);
    const { stdout: address } = await run('docker', ['port', id, '6379/tcp']);
    const port = address.trim().split('\n')[0]!.split(':').pop();

    const runner = await spawnRunner('runner-eviction', {
      ...stack.env,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    runners.push(runner);
    const exit = await runner.exited;

    expect(exit.code).toBe(1);
    const output = runner.output();
    expect(output).toContain('task-runner: refusing to start.');
    expect(output).toContain('maxmemory-policy is "allkeys-lru" but must be "noeviction"');
    expect(output).toContain('CONFIG SET maxmemory-policy noeviction');
    // It stopped before leadership: nothing was migrated.
    expect(output).not.toContain('elected leader');
  });
  it('serves its health endpoints on HOST (:: on an IPv6-only private network)', async () => {
    const stack = await stackFor('ipv6');
    const runner = await spawnRunner('runner-ipv6', { ...stack.env, HOST: '::1' });
    runners.push(runner);
    const port = runner.port;
    const health = await waitFor(
      () =>
        fetch(`http://[::1]:${port}/health`).then(
          (response) => response.status,
          () => undefined,
        ),
      { timeoutMs: 60_000, intervalMs: 100, what: 'the health server on [::1]' },
    );
    expect(health).toBe(200);
    // Bound to the IPv6 loopback only: the IPv4 default is not listening.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    runner.kill('SIGTERM');
    expect((await runner.exited).code).toBe(0);
  });
});
