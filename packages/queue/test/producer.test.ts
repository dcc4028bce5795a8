import { randomUUID } from 'node:crypto';
import { createTcpProxy, uniqueId, waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createProducer,
  createRedis,
  jobs,
  QueueUnavailableError,
  retention,
  type Producer,
  type Redis,
} from '../src/index.ts';

let redis: Redis;
let producer: Producer;

beforeAll(async () => {
  redis = createRedis(inject('redisUrl'), 'producer', 'queue-test');
  await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  // A prefix per test file: files share one Redis without seeing each other's queues.
  producer = createProducer({ connection: redis, prefix: uniqueId('queue-test') });
});

afterAll(async () => {
  await producer?.close();
  redis?.disconnect();
});

describe('the producer', () => {
  it('adds a job with the contract retry policy and bounded retention', async () => {
    const taskId = randomUUID();
    const documentId = randomUUID();
    await producer.enqueue('ingest-document', { taskId, documentId }, { jobId: taskId });

    const job = await (await producer.queue('ingest-document')).getJob(taskId);
    expect(job?.data).toEqual({ taskId, documentId });
    expect(job?.opts).toMatchObject({ ...jobs['ingest-document'].options, ...retention });
  });

  it('makes one queue per job, however many callers ask for it at once', async () => {
    const fresh = createProducer({ connection: redis, prefix: uniqueId('queue-test') });
    try {
      const [first, second] = await Promise.all([fresh.queue('agent-run'), fresh.queue('agent-run')]);
      expect(first).toBe(second);
      expect(await fresh.queue('agent-run')).toBe(first);
      expect(await fresh.queue('ingest-document')).not.toBe(first);
    } finally {
      await fresh.close();
    }
    // After close(), no queue is made that nothing would close.
    await expect(fresh.queue('summarize-conversation')).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  it('treats the job id as an idempotency key', async () => {
    const taskId = randomUUID();
    const payload = { taskId, documentId: randomUUID() };
    await producer.enqueue('ingest-document', payload, { jobId: taskId });
    await producer.enqueue('ingest-document', payload, { jobId: taskId });
    const waiting = await (await producer.queue('ingest-document')).getJobs(['waiting']);
    expect(waiting.filter((job) => job.id === taskId)).toHaveLength(1);
  });

  it('deduplicates task-less jobs while one is pending, and accepts the next one after', async () => {
    const conversationId = randomUUID();
    const queue = await producer.queue('summarize-conversation');
    for (let i = 0; i < 3; i++) {
      await producer.enqueue(
        'summarize-conversation',
        { ownerId: 'alice', conversationId },
        { deduplicationId: conversationId },
      );
    }
    const pending = (await queue.getJobs(['waiting'])).filter(
      (job) => job.data.conversationId === conversationId,
    );
    expect(pending).toHaveLength(1);
    await pending[0]!.remove();
    await producer.enqueue(
      'summarize-conversation',
      { ownerId: 'alice', conversationId },
      { deduplicationId: conversationId },
    );
    const next = (await queue.getJobs(['waiting'])).filter(
      (job) => job.data.conversationId === conversationId,
    );
    expect(next).toHaveLength(1);
    expect(next[0]!.id).not.toBe(pending[0]!.id);
  });

  it('refuses a payload that breaks the contract before it reaches Redis', async () => {
    const before = await (await producer.queue('ingest-document')).count();
    await expect(
      producer.enqueue('ingest-document', { taskId: 'not-a-uuid', documentId: randomUUID() }, { jobId: 'x' }),
    ).rejects.toThrow(/taskId/);
    expect(await (await producer.queue('ingest-document')).count()).toBe(before);
  });

  it('fails fast, with QueueUnavailableError, when Redis goes away and recovers when it returns', async () => {
    const proxy = await createTcpProxy(inject('redisUrl'));
    const connection = createRedis(proxy.url(inject('redisUrl')), 'producer', 'queue-test-outage');
    connection.on('error', () => {});
    const flaky = createProducer({ connection, prefix: uniqueId('queue-test') });
    const enqueue = () => {
      const taskId = randomUUID();
      return flaky.enqueue('ingest-document', { taskId, documentId: randomUUID() }, { jobId: taskId });
    };
    try {
      await waitFor(() => connection.status === 'ready');
      await enqueue();

      await proxy.cut();
      const started = performance.now();
      await expect(enqueue()).rejects.toBeInstanceOf(QueueUnavailableError);
      expect(performance.now() - started).toBeLessThan(1_000);

      await proxy.restore();
      await waitFor(
        async () =>
          (await enqueue().then(
            () => true,
            () => false,
          )) || undefined,
        { what: 'enqueue after recovery' },
      );
    } finally {
      await flaky.close();
      connection.disconnect();
      await proxy.close();
    }
  });

  it('fails fast when Redis was never reachable', async () => {
    const unreachable = createRedis('redis://127.0.0.1:1', 'producer', 'queue-test-down');
    unreachable.on('error', () => {});
    const offline = createProducer({ connection: unreachable, prefix: uniqueId('queue-test') });
    const taskId = randomUUID();
    await expect(
      offline.enqueue('ingest-document', { taskId, documentId: randomUUID() }, { jobId: taskId }),
    ).rejects.toThrow(/queue unavailable: redis connection is (connecting|reconnecting)/);
    unreachable.disconnect();
  });
});
