import { randomUUID } from 'node:crypto';
import { uniqueId, waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createProducer,
  createRedis,
  fairPriority,
  LOWEST_PRIORITY,
  type Producer,
  type Redis,
} from '../src/index.ts';

let redis: Redis;
let producer: Producer;

beforeAll(async () => {
  redis = createRedis(inject('redisUrl'), 'producer', 'fairness-test');
  await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  producer = createProducer({ connection: redis, prefix: uniqueId('fairness-test') });
});

afterAll(async () => {
  await producer?.close();
  redis?.disconnect();
});

describe('fair priorities', () => {
  it('are the place in the owner line, capped at BullMQ’s lowest priority', () => {
    expect(fairPriority(1)).toBe(1);
    expect(fairPriority(300)).toBe(300);
    expect(fairPriority(LOWEST_PRIORITY + 5)).toBe(LOWEST_PRIORITY);
    expect(() => fairPriority(0)).toThrow(RangeError);
    expect(() => fairPriority(1.5)).toThrow(RangeError);
  });

  it('make an owner queued behind another’s backlog next in line, in Redis', async () => {
    const enqueue = async (place: number) => {
      const taskId = randomUUID();
      await producer.enqueue(
        'ingest-document',
        { taskId, documentId: randomUUID() },
        { jobId: taskId, ownerPlace: place },
      );
      return taskId;
    };
    const backlog: string[] = [];
    for (let place = 1; place <= 5; place++) backlog.push(await enqueue(place));
    const newcomer = await enqueue(1);

    // The order BullMQ fetches them in: ascending priority, first-in-first-out within one.
    const order = await (await producer.queue('ingest-document')).getJobs(['prioritized'], 0, -1, true);
    expect(order.map((job) => job.id)).toEqual([backlog[0], newcomer, ...backlog.slice(1)]);
    expect(order.map((job) => job.opts.priority)).toEqual([1, 1, 2, 3, 4, 5]);
  });
});
