import { uniqueId } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

const MAX = 5;

/** Two replicas of one stack: separate processes' worth of app, one Redis, one prefix. */
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  const prefix = uniqueId('api-rl');
  const env = { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_MS: '60000' };
  [a, b] = await Promise.all([createTestApp({ prefix, env }), createTestApp({ prefix, env })]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe('rate limit shared by two api instances on one Redis', () => {
  it('lets an owner make MAX requests across both instances; the (MAX+1)-th gets 429', async () => {
    const headers = await a.auth('alice');
    const statuses: number[] = [];
    for (let i = 0; i < MAX; i++) {
      const replica = i % 2 === 0 ? a : b;
      statuses.push((await replica.app.inject({ url: '/v1/documents', headers })).statusCode);
    }
    expect(statuses).toEqual(Array(MAX).fill(200));

    const limited = await b.app.inject({ url: '/v1/documents', headers });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ status: 429, type: 'urn:keelson:problem:rate-limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    // The other replica agrees.
    expect((await a.app.inject({ url: '/v1/documents', headers })).statusCode).toBe(429);
  });

  it('keys by owner: another owner still has a full budget', async () => {
    const response = await a.app.inject({ url: '/v1/documents', headers: await a.auth('bob') });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ratelimit-remaining']).toBe(String(MAX - 1));
  });

  it('keys anonymous callers by IP address, counting the requests it refuses with 401', async () => {
    const remoteAddress = '192.0.2.77';
    const statuses: number[] = [];
    for (let i = 0; i <= MAX; i++) {
      const replica = i % 2 === 0 ? a : b;
      statuses.push((await replica.app.inject({ url: '/v1/documents', remoteAddress })).statusCode);
    }
    expect(statuses).toEqual([...Array(MAX).fill(401), 429]);
    // A valid token from the same address has its own (owner) budget.
    const withToken = await a.app.inject({
      url: '/v1/documents',
      remoteAddress,
      headers: await a.auth('carol'),
    });
    expect(withToken.statusCode).toBe(200);
  });

  it('never limits probes', async () => {
    const remoteAddress = '192.0.2.77'; // exhausted above
    for (const url of ['/health', '/ready']) {
      for (let i = 0; i < MAX + 2; i++) {
        const response = await a.app.inject({ url, remoteAddress });
        expect(response.statusCode, url).toBe(200);
        expect(response.headers['x-ratelimit-limit'], url).toBeUndefined();
      }
    }
  });
});

describe('one budget over three replicas, leased from Redis a share at a time', () => {
  const max = 300;
  let replicas: TestApp[] = [];
  beforeAll(async () => {
    const prefix = uniqueId('api-rl3');
    const env = { RATE_LIMIT_MAX: String(max), RATE_LIMIT_WINDOW_MS: '60000' };
    replicas = await Promise.all([1, 2, 3].map(() => createTestApp({ prefix, env })));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  it('admits between 90 % and 100 % of the limit from 16 concurrent callers spread over the replicas', async () => {
    const headers = await replicas[0]!.auth('dora');
    const statuses: number[] = [];
    let sent = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (sent < 1.5 * max) {
          const replica = replicas[sent++ % 3]!;
          statuses.push((await replica.app.inject({ url: '/v1/documents', headers })).statusCode);
        }
      }),
    );
    const admitted = statuses.filter((status) => status === 200).length;
    expect(admitted).toBeLessThanOrEqual(max);
    expect(admitted).toBeGreaterThanOrEqual(0.9 * max);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
  });
});
