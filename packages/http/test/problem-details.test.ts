import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  HttpProblem,
  notFound,
  problem,
  problemDetailsPlugin,
  renderFrameworkError,
  serviceUnavailable,
  timestamp,
  VALIDATION_PROBLEM,
} from '../src/index.ts';

/** What the app logged, one parsed pino line each. */
type LogLine = { level: number; msg: string; err?: { message: string; code?: string } };

async function app(logs: LogLine[] = []) {
  const instance = Fastify({
    bodyLimit: 100,
    logger: { level: 'info', stream: { write: (line: string) => logs.push(JSON.parse(line) as LogLine) } },
    frameworkErrors: renderFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();
  instance.setValidatorCompiler(validatorCompiler);
  instance.setSerializerCompiler(serializerCompiler);
  await instance.register(problemDetailsPlugin);
  instance.post('/things', { schema: { body: z.object({ name: z.string().min(2) }) } }, async () => ({
    ok: true,
  }));
  instance.get('/missing', async () => {
    throw notFound('thing');
  });
  instance.get('/busy', async () => {
    throw serviceUnavailable('try later', 7);
  });
  instance.get('/teapot', async () => {
    throw new HttpProblem(418, 'short and stout', { type: 'urn:test:teapot', extensions: { spout: true } });
  });
  instance.get('/query-failed', async () => {
    // The shape of drizzle's DrizzleQueryError (its message lists the parameter values).
    const params = ['alice', 'a secret document body'];
    throw Object.assign(
      new Error(`Failed query: insert into documents values ($1, $2)\nparams: ${params.join(',')}`, {
        cause: Object.assign(new Error('value too long for type character varying(300)'), { code: '22001' }),
      }),
      { query: 'insert into documents values ($1, $2)', params },
    );
  });
  instance.get('/crash', async () => {
    throw new Error('database password is hunter2');
  });
  instance.get('/database-down', async () => {
    // As drizzle wraps what node-postgres threw: the query and its parameters, then the cause.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    throw new Error('Failed query: select * from t where owner = $1\nparams: alice', { cause: refused });
  });
  instance.get('/things/:id', async () => ({ ok: true }));
  instance.get('/when', { schema: { response: { 200: z.object({ at: timestamp }) } } }, async () => ({
    at: new Date('2026-01-02T03:04:05.000Z'),
  }));
  return instance;
}

describe('problem details', () => {
  it('renders validation errors field by field', async () => {
    const response = await (await app()).inject({ method: 'POST', url: '/things', payload: { name: 'x' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: VALIDATION_PROBLEM,
      status: 400,
      errors: [{ location: 'body', pointer: '/name', message: expect.any(String) }],
    });
  });

  it('renders thrown problems with their status, type, extensions and headers', async () => {
    const instance = await app();
    expect((await instance.inject('/missing')).json()).toMatchObject({
      status: 404,
      title: 'Not Found',
      detail: 'thing not found',
    });
    const busy = await instance.inject('/busy');
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('7');
    expect((await instance.inject('/teapot')).json()).toMatchObject({
      type: 'urn:test:teapot',
      status: 418,
      spout: true,
    });
  });

  it("keeps Fastify's client errors (413, malformed JSON, unknown route) as 4xx problems", async () => {
    const instance = await app();
    const big = await instance.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(200) } });
    expect(big.statusCode).toBe(413);
    const malformed = await instance.inject({
      method: 'POST',
      url: '/things',
      payload: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    const unknown = await instance.inject('/nowhere');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('hides the detail of a server error and gives the request id instead', async () => {
    const response = await (await app()).inject('/crash');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('hunter2');
    expect(response.json()).toMatchObject({ status: 500, requestId: expect.any(String) });
  });

  it('answers 503 with Retry-After when a dependency cannot be reached, and warns instead of erring', async () => {
    const logs: LogLine[] = [];
    const response = await (await app(logs)).inject('/database-down');
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'A service this request depends on is unavailable. Retry later.',
      instance: '/database-down',
    });
    expect(response.body).not.toContain('alice');
    const logged = logs.filter((line) => line.err);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'dependency unavailable',
        err: expect.objectContaining({ code: 'ECONNREFUSED' }),
      }),
    ]);
    // The root cause is logged, not the wrapper holding the query's parameters.
    expect(JSON.stringify(logged)).not.toContain('alice');
  });

  it('logs other server errors at error level', async () => {
    const logs: LogLine[] = [];
    await (await app(logs)).inject('/crash');
    expect(logs.filter((line) => line.err).map((line) => [line.level, line.msg])).toEqual([
      [50, 'request failed'],
    ]);
  });

  it('logs a failed query with its SQL and cause but without its parameter values', async () => {
    const logs: LogLine[] = [];
    const response = await (await app(logs)).inject('/query-failed');
    expect(response.statusCode).toBe(500);
    const logged = logs.filter((line) => line.err);
    expect(logged).toHaveLength(1);
    // pino's serializer appends the causes' messages; the SQL stays, the values do not.
    expect(logged[0]!.err!.message).toMatch(
      /^Failed query: insert into documents values \(\$1, \$2\)\nparams: 2 redacted: value too long/,
    );
    const text = JSON.stringify(logged);
    expect(text).toContain('value too long');
    expect(text).not.toContain('alice');
    expect(text).not.toContain('secret document body');
  });

  it('renders errors raised before routing (a malformed URL) as 400 problems', async () => {
    const response = await (await app()).inject('/things/%');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request', instance: '/things/%' });
  });

  it('never lets extensions overwrite title, status or detail', () => {
    expect(problem(409, 'taken', { title: 'x', status: 200, detail: 'y', owner: 'alice' })).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'taken',
      owner: 'alice',
    });
  });

  it('encodes timestamps as ISO strings', async () => {
    expect((await (await app()).inject('/when')).json()).toEqual({ at: '2026-01-02T03:04:05.000Z' });
  });
});
