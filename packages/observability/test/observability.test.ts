import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry, httpMetricsPlugin } from '../src/index.ts';

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
