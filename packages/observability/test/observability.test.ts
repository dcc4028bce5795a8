import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogController, createLogger, createMetricsRegistry, httpMetricsPlugin } from '../src/index.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('the logger', () => {
  it('writes JSON with the service name and redacts credentials', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'test', level: 'info' }, stream);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer s3cret', cookie: 'sid=1', accept: 'json' } },
        apiKey: 'k-123',
        user: { password: 'pw' },
      },
      'hello',
    );
    const [line] = lines;
    expect(line).toMatchObject({ service: 'test', level: 'info', msg: 'hello' });
    const text = JSON.stringify(line);
    for (const secret of ['s3cret', 'sid=1', 'k-123', '"pw"']) expect(text).not.toContain(secret);
    expect(text).toContain('"accept":"json"');
  });
});

describe('the HTTP metrics plugin', () => {
  it('records duration by method, route template and status, and serves the registry', async () => {
    const registry = createMetricsRegistry('test');
    const app = Fastify();
    await app.register(httpMetricsPlugin, { registry, path: '/metrics' });
    app.get('/items/:id', async () => ({ ok: true }));
    app.get('/probe', { config: { probe: true } }, async () => ({ ok: true }));

    await app.inject('/items/1');
    await app.inject('/items/2');
    await app.inject('/probe');
    await app.inject('/missing');
    const response = await app.inject('/metrics');

    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const body = response.body;
    expect(body).toContain(
      'http_request_duration_seconds_count{service="test",method="GET",route="/items/:id",status_code="200"} 2',
    );
    expect(body).toContain(
      'http_request_duration_seconds_count{service="test",method="GET",route="unmatched",status_code="404"} 1',
    );
    expect(body).not.toContain('route="/probe"');
    expect(body).not.toContain('route="/metrics"');
    // Node runtime defaults are on.
    expect(body).toContain('process_cpu_user_seconds_total');
    await app.close();
  });
});

describe('request logging', () => {
  it('writes one line per request, with the request, the response and the time; none for probes', async () => {
    const { lines, stream } = capture();
    const app = Fastify({
      loggerInstance: createLogger({ service: 'test', level: 'info' }, stream),
      logController: createLogController(),
    });
    app.get('/items/:id', async () => ({ ok: true }));
    app.get('/fails', async () => {
      throw new Error('broken');
    });
    app.get('/probe', { config: { probe: true } }, async () => ({ ok: true }));

    await app.inject({ url: '/items/1', headers: { authorization: 'Bearer s3cret' } });
    await app.inject('/probe');
    await app.inject('/fails');
    await app.close();

    const requests = lines.filter((line) => line.req !== undefined || line.res !== undefined);
    expect(requests).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        requestId: expect.any(String),
        req: expect.objectContaining({ method: 'GET', url: '/items/1' }),
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
      // Fastify's default error handler logs the error itself; the request line follows it.
      expect.objectContaining({ level: 'error', msg: 'broken', res: { statusCode: 500 } }),
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        req: expect.objectContaining({ method: 'GET', url: '/fails' }),
        res: { statusCode: 500 },
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });
});
