import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELMET_OPTIONS } from '../src/plugins/external/security-headers.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/** The headers helmet's own middleware sets on a real Node response, for `HELMET_OPTIONS`. */
async function headersOfHelmetMiddleware(): Promise<Record<string, string>> {
  const middleware = helmet(HELMET_OPTIONS);
  const server = createServer((request, response) => {
    middleware(request, response, () => response.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const ignored = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    return Object.fromEntries([...response.headers].filter(([name]) => !ignored.has(name)));
  } finally {
    server.close();
  }
}

describe('security headers, CORS, request ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: 'https://app.example.com,http://localhost:5173' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sets helmet’s headers, with a CSP that lets a JSON API load nothing', async () => {
    const response = await t.app.inject({ url: '/v1/documents', headers: await t.auth('alice') });
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringMatching(/max-age=\d+/),
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(response.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('sets exactly the headers helmet’s middleware sets, computed once, on answers and errors alike', async () => {
    const expected = await headersOfHelmetMiddleware();
    expect(Object.keys(expected).length).toBeGreaterThan(8);
    const answers = [
      await t.app.inject({ url: '/health' }),
      await t.app.inject({ url: '/v1/documents', headers: await t.auth('alice') }),
      await t.app.inject({ url: '/v1/documents' }), // 401
      await t.app.inject({ url: '/nowhere' }), // 404
    ];
    for (const response of answers) expect(response.headers).toMatchObject(expected);
  });

  it('answers a preflight from an allowed origin, with the headers the API uses', async () => {
    const response = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/documents',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(response.headers['access-control-allow-headers']).toMatch(/idempotency-key/);
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it("lets a browser's useChat call the chat routes and resume runs (preflight, exposed run id)", async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/chat',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const resume = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/runs/00000000-0000-4000-8000-000000000000/events',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization,last-event-id',
      },
    });
    expect(resume.headers['access-control-allow-headers']).toMatch(/last-event-id/);
    const allowed = await t.app.inject({
      url: '/v1/documents',
      headers: { ...(await t.auth('alice')), origin: 'https://app.example.com' },
    });
    expect(allowed.headers['access-control-expose-headers']).toMatch(/x-keelson-run-id/);
  });

  it('exposes response headers to allowed origins and nothing to others', async () => {
    const allowed = await t.app.inject({
      url: '/v1/documents',
      headers: { ...(await t.auth('alice')), origin: 'http://localhost:5173' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(allowed.headers['access-control-expose-headers']).toMatch(/x-request-id/);
    const denied = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/documents',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const kept = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    for (const bad of ['bad id\n<script>', 'x'.repeat(65), 'a_b']) {
      const replaced = await t.app.inject({ url: '/health', headers: { 'x-request-id': bad } });
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const response = await t.app.inject('/nope');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('CORS off by default', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('allows no origin when CORS_ORIGINS is unset', async () => {
    const response = await t.app.inject({
      url: '/v1/documents',
      headers: { ...(await t.auth('alice')), origin: 'https://app.example.com' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a preflight 404 problem+json, with no CORS header', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/documents',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Object.keys(preflight.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('trusted proxies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '10.0.0.0/8', RATE_LIMIT_MAX: '50' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Remaining budget of an anonymous caller: its key is `request.ip`. */
  const remaining = async (remoteAddress: string, forwardedFor: string) => {
    const response = await t.app.inject({
      url: '/v1/documents',
      remoteAddress,
      headers: { 'x-forwarded-for': forwardedFor },
    });
    expect(response.statusCode).toBe(401);
    return Number(response.headers['x-ratelimit-remaining']);
  };

  it("believes X-Forwarded-For from the load balancer's network: each client has its own budget", async () => {
    expect(await remaining('10.1.2.3', '203.0.113.10')).toBe(49);
    expect(await remaining('10.1.2.3', '203.0.113.10')).toBe(48);
    expect(await remaining('10.9.9.9', '203.0.113.11')).toBe(49);
  });

  it('ignores X-Forwarded-For from anyone else: a client cannot pick its own address', async () => {
    expect(await remaining('198.51.100.7', '203.0.113.20')).toBe(49);
    expect(await remaining('198.51.100.7', '203.0.113.21')).toBe(48);
  });
});

describe('load shedding (under pressure)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A heap limit of one byte: the first sample puts the process "under pressure".
    t = await createTestApp({
      env: {
        UNDER_PRESSURE_MAX_HEAP_USED_BYTES: '1',
        UNDER_PRESSURE_SAMPLE_INTERVAL_MS: '10',
        UNDER_PRESSURE_RETRY_AFTER_S: '7',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 problem+json with Retry-After, while probes still answer', async () => {
    const headers = await t.auth('alice');
    await expect
      .poll(async () => (await t.app.inject({ url: '/v1/documents', headers })).statusCode, {
        timeout: 5_000,
      })
      .toBe(503);
    const response = await t.app.inject({ url: '/v1/documents', headers });
    expect(response.headers['retry-after']).toBe('7');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/overloaded/) });
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    expect((await t.app.inject('/ready')).statusCode).toBe(200);
  });
});

describe('load shedding on event-loop delay', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { UNDER_PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '10', UNDER_PRESSURE_SAMPLE_INTERVAL_MS: '50' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sheds requests after the event loop stalled, then serves again', async () => {
    const headers = await t.auth('alice');
    const status = async () => (await t.app.inject({ url: '/v1/documents', headers })).statusCode;
    let shed: number | undefined;
    // Stall the loop (what a CPU-bound request would do), then watch the next samples.
    for (let attempt = 0; attempt < 5 && shed === undefined; attempt++) {
      const stallUntil = performance.now() + 300;
      while (performance.now() < stallUntil) {
        // busy: no timer, no I/O runs
      }
      const watchUntil = performance.now() + 250;
      while (performance.now() < watchUntil && shed === undefined) {
        if ((await status()) === 503) shed = attempt;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    expect(shed).toBeDefined();
    await expect.poll(status, { timeout: 5_000 }).toBe(200);
  });
});
