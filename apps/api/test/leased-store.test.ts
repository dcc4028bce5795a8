import { createRedis, type Redis } from '@repo/queue';
import { freePort, uniqueId, waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LeasedRedisStore } from '../src/rate-limit/leased-store.ts';

let redis: Redis;
beforeAll(async () => {
  redis = createRedis(inject('redisUrl'), 'producer', 'leased-store-test');
  await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
});
afterAll(async () => {
  await redis?.quit();
});

type Count = { current: number; ttl: number };

/** A replica's store on the shared Redis, counting the leases it asks Redis for. */
function replica(nameSpace: string, client: Redis = redis) {
  const counted = { leases: 0 };
  const store = new LeasedRedisStore({ redis: client, nameSpace, onLease: () => void counted.leases++ });
  const incr = (caller: string, max: number, windowMs = 60_000) =>
    new Promise<Count>((resolve, reject) =>
      store.incr(caller, (error, count) => (error ? reject(error) : resolve(count!)), windowMs, max),
    );
  return { store, incr, counted };
}

const admitted = (counts: Count[], max: number) => counts.filter((count) => count.current <= max).length;

describe('LeasedRedisStore', () => {
  it('is exact for a small limit: max requests, then refusals, remaining counting down by one', async () => {
    const { incr } = replica(`${uniqueId('lease')}:`);
    const counts: Count[] = [];
    for (let i = 0; i < 7; i++) counts.push(await incr('alice', 5));
    expect(counts.map((count) => count.current)).toEqual([1, 2, 3, 4, 5, 6, 6]);
    expect(counts.every((count) => count.ttl > 0 && count.ttl <= 60_000)).toBe(true);
  });

  it('asks Redis once per lease, not once per request, far from the limit', async () => {
    const { incr, counted } = replica(`${uniqueId('lease')}:`);
    const counts: Count[] = [];
    for (let i = 0; i < 1_000; i++) counts.push(await incr('bob', 100_000));
    expect(admitted(counts, 100_000)).toBe(1_000);
    // The first lease is 100,000 ÷ 32 = 3,125 requests: one call serves all 1,000.
    expect(counted.leases).toBe(1);
    // What the headers say: the count goes up by one per request.
    expect(counts.map((count) => count.current)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
  });

  it('serves concurrent requests of one caller from one lease, and leases again for the rest', async () => {
    const { incr, counted } = replica(`${uniqueId('lease')}:`);
    const counts = await Promise.all(Array.from({ length: 50 }, () => incr('carol', 10)));
    expect(admitted(counts, 10)).toBe(10);
    expect(counts.filter((count) => count.current > 10)).toHaveLength(40);
    // The first request's lease (1), one for the 49 that queued behind it (granted 9), one finding
    // the window spent; then none: a spent window is refused here.
    expect(counted.leases).toBe(3);
    await incr('carol', 10);
    expect(counted.leases).toBe(3);
  });

  it('shares one budget over three replicas: never more than the limit, at least 90 % of it', async () => {
    const nameSpace = `${uniqueId('lease')}:`;
    const replicas = [replica(nameSpace), replica(nameSpace), replica(nameSpace)];
    const max = 300;
    const counts: Count[] = [];
    // 16 callers in flight, spread over the replicas as a load balancer would, 450 requests.
    let sent = 0;
    await Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        while (sent < 450) {
          const at = sent++;
          counts.push(await replicas[(at + worker) % 3]!.incr('dave', max));
        }
      }),
    );
    const ok = admitted(counts, max);
    expect(ok).toBeLessThanOrEqual(max);
    expect(ok).toBeGreaterThanOrEqual(0.9 * max);
    expect(Number(await redis.get(`${nameSpace}dave`))).toBeLessThanOrEqual(max);
    // Fewer Redis calls than requests: the point of leasing.
    const leases = replicas.reduce((sum, { counted }) => sum + counted.leases, 0);
    expect(leases).toBeLessThan(450 / 2);
  });

  it('loses at most its leases when the caller moves to another replica', async () => {
    const nameSpace = `${uniqueId('lease')}:`;
    const [first, second] = [replica(nameSpace), replica(nameSpace)];
    const max = 320;
    // One request on the first replica leases 320 ÷ 32 = 10; the caller then only uses the second.
    expect((await first.incr('erin', max)).current).toBe(1);
    const counts: Count[] = [];
    for (let i = 0; i < max; i++) counts.push(await second.incr('erin', max));
    expect(admitted(counts, max)).toBe(max - 10);
  });

  it('refuses a spent window without asking Redis, and opens the next window when it ends', async () => {
    const { incr, counted } = replica(`${uniqueId('lease')}:`);
    for (let i = 0; i < 3; i++) await incr('frank', 2, 1_000);
    const leases = counted.leases;
    for (let i = 0; i < 20; i++) expect((await incr('frank', 2, 1_000)).current).toBe(3);
    expect(counted.leases).toBe(leases);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await incr('frank', 2, 1_000)).current).toBe(1);
  });

  it('answers an error when Redis cannot be asked (the plugin then lets the request pass)', async () => {
    const down = createRedis(`redis://127.0.0.1:${await freePort()}`, 'producer', 'leased-store-down');
    down.on('error', () => {});
    try {
      const { incr } = replica(`${uniqueId('lease')}:`, down);
      await expect(incr('grace', 10)).rejects.toThrow();
    } finally {
      down.disconnect();
    }
  });
});
