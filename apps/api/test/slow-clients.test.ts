import { trickle } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

/**
 * Clients that take their time: one token must not be able to hold connections open by sending
 * a request a byte at a time. HTTP_REQUEST_TIMEOUT_MS bounds the whole request (headers and
 * body); Node answers 408 and closes the connection.
 */
let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await createTestApp({ env: { HTTP_REQUEST_TIMEOUT_MS: '1000' } });
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(address).port);
});
afterAll(async () => {
  await t?.close();
});

describe('a request trickled a byte at a time', () => {
  it('is cut with 408 before its body is complete', async () => {
    const body = JSON.stringify({ title: 'slow', content: 'x'.repeat(40) });
    const head = [
      'POST /v1/documents HTTP/1.1',
      'host: 127.0.0.1',
      `authorization: ${(await t.auth('alice')).authorization}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
    ].join('\r\n');
    // 100 ms per byte: the body alone would take about 7 s to arrive.
    const outcome = await trickle({ port, head: `${head}\r\n\r\n`, trickled: body, everyMs: 100 });
    expect(outcome.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.closedBy).toBe('server');
    expect(outcome.trickledBytes).toBeLessThan(Buffer.byteLength(body));
  });

  it('is cut with 408 before its headers are complete (slowloris)', async () => {
    const headers =
      'GET /v1/documents HTTP/1.1\r\nhost: 127.0.0.1\r\nx-padding: ' + 'p'.repeat(60) + '\r\n\r\n';
    const outcome = await trickle({ port, head: '', trickled: headers, everyMs: 100 });
    expect(outcome.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.trickledBytes).toBeLessThan(headers.length);
  });

  it('leaves a request that arrives in time alone, on the same server', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/documents`, { headers: await t.auth('alice') });
    expect(response.status).toBe(200);
  });
});

describe('the timeouts in the configuration', () => {
  it('default to 30 s for a request, 150 s of silence and Fastify’s 72 s keep-alive', async () => {
    const defaults = await createTestApp({ migrate: false });
    try {
      expect(defaults.config).toMatchObject({
        HTTP_REQUEST_TIMEOUT_MS: 30_000,
        HTTP_IDLE_TIMEOUT_MS: 150_000,
        HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
      });
      expect(defaults.app.initialConfig).toMatchObject({
        requestTimeout: 30_000,
        connectionTimeout: 150_000,
        keepAliveTimeout: 72_000,
      });
      expect(defaults.app.server.headersTimeout).toBe(10_000);
    } finally {
      await defaults.close();
    }
  });
});
