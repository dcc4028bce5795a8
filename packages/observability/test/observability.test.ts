import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  createMetricsRegistry,
  httpMetricsPlugin,
  loggerOptions,
  requestLogging,
  safeErrorMessage,
} from '../src/index.ts';

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

describe('errors in the log', () => {
  /** What the AI SDK throws for a provider's error answer (APICallError), with what it carries. */
  function providerError() {
    const error = new Error('Incorrect API key provided: sk-proj-AbCdEf0123456789xyz. See your dashboard.');
    error.name = 'AI_APICallError';
    Object.assign(error, {
      url: 'https://generativelanguage.example.com/v1/models/m:generate?key=AIzaSyPLAINKEY123456&alt=sse',
      statusCode: 401,
      isRetryable: false,
      requestBodyValues: { messages: [{ role: 'user', content: 'my private diary entry' }] },
      responseHeaders: { 'x-request-id': 'provider-req-1', 'set-cookie': 'session=abc' },
      responseBody: '{"error":{"message":"Incorrect API key provided: sk-proj-AbCdEf0123456789xyz"}}',
      data: { error: { message: 'Incorrect API key provided: sk-proj-AbCdEf0123456789xyz' } },
    });
    return error;
  }

  /** drizzle's DrizzleQueryError: the statement's parameters (user data) in `params` and the message. */
  function queryError() {
    const cause = Object.assign(new Error('value too long for type character varying(255)'), {
      code: '22001',
      severity: 'ERROR',
      table: 'documents',
      detail: 'Failing row contains (alice, my private diary entry).',
    });
    return Object.assign(
      new Error(
        'Failed query: insert into "documents" ("title") values ($1)\nparams: my private diary entry',
        {
          cause,
        },
      ),
      {
        name: 'DrizzleQueryError',
        query: 'insert into "documents" ("title") values ($1)',
        params: ['my private diary entry'],
      },
    );
  }

  it('keep the cause (type, status, code, the chain) without user content or secrets', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'test', level: 'info' }, stream);
    const retried = Object.assign(
      new Error(`Failed after 3 attempts. Last error: ${providerError().message}`),
      {
        name: 'AI_RetryError',
        reason: 'maxRetriesExceeded',
        lastError: providerError(),
        errors: [providerError(), providerError(), providerError()],
      },
    );
    logger.warn({ err: providerError() }, 'provider');
    logger.warn({ err: retried }, 'retried');
    logger.warn({ err: queryError() }, 'query');
    logger.warn({ err: new Error('wrapped', { cause: providerError() }) }, 'wrapped');

    const text = JSON.stringify(lines);
    for (const secret of ['my private diary', 'sk-proj-AbCdEf', 'AIzaSyPLAINKEY', 'session=abc']) {
      expect(text, secret).not.toContain(secret);
    }
    const [provider, retry, query, wrapped] = lines as { err: Record<string, unknown> }[];
    expect(provider!.err).toMatchObject({
      type: 'AI_APICallError',
      statusCode: 401,
      isRetryable: false,
      url: 'https://generativelanguage.example.com/v1/models/m:generate',
      message: expect.stringMatching(/^Incorrect API key provided: \[redacted\]/),
      stack: expect.stringContaining('observability.test.ts'),
    });
    expect(retry!.err).toMatchObject({
      type: 'AI_RetryError',
      reason: 'maxRetriesExceeded',
      attempts: 3,
      lastError: expect.objectContaining({ statusCode: 401 }),
    });
    expect(query!.err).toMatchObject({
      type: 'DrizzleQueryError',
      query: 'insert into "documents" ("title") values ($1)',
      paramCount: 1,
      cause: expect.objectContaining({ code: '22001', table: 'documents' }),
    });
    expect(wrapped!.err).toMatchObject({
      message: 'wrapped',
      cause: expect.objectContaining({ statusCode: 401 }),
    });
  });

  it('still logs what is not an Error', () => {
    const { lines, stream } = capture();
    createLogger({ service: 'test', level: 'info' }, stream).warn(
      { err: 'Bearer abc.def.ghi failed' },
      'odd',
    );
    expect(JSON.stringify(lines)).not.toContain('abc.def.ghi');
    expect(lines[0]).toMatchObject({ err: expect.stringContaining('failed') });
  });
});

describe("safeErrorMessage (what a task's owner may read)", () => {
  it("drops a query's parameters and credential-shaped text, and is bounded", () => {
    const query = Object.assign(
      new Error('Failed query: update "tasks" set "result" = $1\nparams: the reply text'),
      {
        query: 'update "tasks" set "result" = $1',
        params: ['the reply text'],
      },
    );
    expect(safeErrorMessage(query)).toBe(
      'Failed query: update "tasks" set "result" = $1\nparams: 1 redacted',
    );
    expect(
      safeErrorMessage(new Error('401 from https://u:pw123@host/x?api_key=abc&x=1 with Bearer tok.en')),
    ).toBe('401 from https://u:[redacted]@host/x?api_key=[redacted]&x=1 with Bearer [redacted]');
    expect(safeErrorMessage(new Error('x'.repeat(5_000))).length).toBeLessThanOrEqual(1_001);
  });
});

describe('request logging', () => {
  it('writes one line per request, with the request, the response and the time; none for probes', async () => {
    const { lines, stream } = capture();
    const app = Fastify({
      loggerInstance: createLogger({ service: 'test', level: 'info' }, stream),
      ...requestLogging(),
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

describe("a request's logger", () => {
  it('is made only when the request logs, with the request id, the route level and redaction', async () => {
    const { lines, stream } = capture();
    let children = 0;
    const logger = pino(
      { ...loggerOptions({ service: 'test', level: 'info' }), onChild: () => void children++ },
      stream,
    );
    const app = Fastify({ loggerInstance: logger, ...requestLogging() });
    app.get('/probe', { config: { probe: true } }, async () => ({ ok: true }));
    app.get('/warns', async (request) => {
      request.log.warn({ token: 't0ken' }, 'something to say');
      request.log.child({ step: 'inner' }).info('from a child');
      // Arguments reach pino as given: format arguments, a lone error.
      request.log.info('formatted %s %d', 'text', 3);
      request.log.error(new Error('an error alone'));
      return { ok: true };
    });
    app.get('/quiet', { logLevel: 'warn', config: { probe: true } }, async (request) => {
      // Asking about the level does not make the child.
      const level = request.log.level;
      const debug = request.log.isLevelEnabled('debug');
      request.log.info('below the route level');
      return { level, debug };
    });

    await app.ready();
    const atStart = children;
    await app.inject('/probe');
    expect(children - atStart).toBe(0);

    const quiet = await app.inject('/quiet');
    expect(quiet.json()).toEqual({ level: 'warn', debug: false });
    // The info line made the child (at the route's level), which dropped it.
    expect(children - atStart).toBe(1);

    await app.inject('/warns');
    await app.close();

    const said = lines.filter((line) => line.msg === 'something to say');
    expect(said).toEqual([expect.objectContaining({ level: 'warn', requestId: expect.any(String) })]);
    expect(JSON.stringify(said)).not.toContain('t0ken');
    const inner = lines.find((line) => line.msg === 'from a child');
    expect(inner).toMatchObject({ step: 'inner', requestId: said[0]!.requestId });
    expect(lines.some((line) => line.msg === 'below the route level')).toBe(false);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'formatted text 3', requestId: said[0]!.requestId }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'an error alone',
        err: expect.objectContaining({ message: 'an error alone' }),
      }),
    );
    // The request line of /warns, bound to the same id.
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'request completed', requestId: said[0]!.requestId }),
    );
  });
});
