import { problemSchema, timestamp } from '@repo/http';
import Fastify from 'fastify';
import {
  serializerCompiler as zodSerializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createResponseSerializerCompiler,
  type ResponseSerializerChoice,
} from '../src/http/response-serializer.ts';
import { insertDocument } from './support/fixtures.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/**
 * Responses are written by serializers compiled from the routes' zod schemas
 * (http/response-serializer.ts). These tests hold them to what zod's serializer wrote: every
 * route's JSON responses are compiled, each writes a sample exactly as zod does, no undeclared
 * property leaves, and the production serializer (no zod check) behaves the same.
 */

let t: TestApp;
const choices: ResponseSerializerChoice[] = [];

beforeAll(async () => {
  t = await createTestApp({ onResponseSerializer: (choice) => choices.push(choice) });
});
afterAll(async () => {
  await t?.close();
});

const describeChoice = (choice: ResponseSerializerChoice) =>
  `${choice.method} ${choice.url} ${choice.httpStatus ?? ''} ${choice.contentType ?? ''}`.trim();

/** Text JSON must escape (quote, backslash, control characters, a lone surrogate) and more. */
const TRICKY = 'a "quoted" \\ back\nslash\t\u0001 \u2028 \ud800 😀 é';
const DATE = new Date(Date.UTC(2026, 11, 3, 14, 55, 23, 676));

/**
 * A value of a response's zod schema as a handler returns it (Dates for timestamps), every object
 * with an undeclared property. `full`: every property, nothing null; `sparse`: optional
 * properties left out (undefined), nullable ones null, arrays empty.
 */
function sample(schema: z.core.$ZodType, variant: 'full' | 'sparse'): unknown {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const inner = () => sample(def.innerType as z.core.$ZodType, variant);
  switch (def.type) {
    case 'nullable':
      return variant === 'sparse' ? null : inner();
    case 'optional':
      return variant === 'sparse' ? undefined : inner();
    case 'readonly':
      return inner();
    case 'pipe': // the timestamp codec (any other keeps zod's serializer)
    case 'date':
      return DATE;
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
        value[key] = sample(property, variant);
      }
      value.undeclaredColumn = 'must not leave unless the object is loose';
      return value;
    }
    case 'array': {
      const element = def.element as z.core.$ZodType;
      return variant === 'sparse' ? [] : [sample(element, variant), sample(element, variant)];
    }
    case 'string':
      if (def.format === 'uuid') return '0b4c2f1e-7d0a-4a57-9a3e-3f5d7f6b9c11';
      if (def.format === 'datetime') return DATE.toISOString();
      if (def.format === 'date') return DATE.toISOString().slice(0, 10);
      if (def.format !== undefined)
        throw new Error(`no sample for a string of format ${JSON.stringify(def.format)}`);
      return TRICKY;
    case 'number':
      // An integer (`.int()`, `z.int()`) or any number.
      return def.format !== undefined || (schema as z.ZodNumber).isInt ? -42 : 0.1 + 0.2;
    case 'boolean':
      return variant === 'full';
    case 'null':
      return null;
    case 'literal':
      return (def.values as unknown[])[0];
    case 'enum':
      return Object.values(def.entries as Record<string, unknown>).at(-1);
    case 'unknown':
    case 'any':
      return variant === 'full' ? { nested: [TRICKY, 1.5, null, { deep: true }], date: DATE } : undefined;
    default:
      throw new Error(`no sample for a ${def.type}`);
  }
}

describe('compiled response serialization', () => {
  it('compiles every JSON response of every route; only streams and files keep zod’s serializer', () => {
    expect(choices.length).toBeGreaterThan(100);
    const fallbacks = choices.filter((choice) => 'zod' in choice.serializer);
    for (const choice of fallbacks) {
      // text/event-stream and application/octet-stream: their bodies are streams, never serialized.
      expect(choice.contentType, describeChoice(choice)).toMatch(
        /^(text\/event-stream|application\/octet-stream)$/,
      );
    }
    const compiled = (method: string, url: string, status: string) =>
      choices.some(
        (choice) =>
          choice.method === method &&
          choice.url === url &&
          choice.httpStatus === status &&
          'compiled' in choice.serializer,
      );
    expect(compiled('GET', '/health', '200')).toBe(true);
    expect(compiled('GET', '/ready', '503')).toBe(true);
    expect(compiled('GET', '/v1/documents', '200')).toBe(true);
    expect(compiled('GET', '/v1/runs/:id', '200')).toBe(true);
  });

  it('writes a sample of every compiled response exactly as zod’s serializer does, undeclared properties dropped', () => {
    const seen = new Set<unknown>();
    let checked = 0;
    for (const choice of choices) {
      if (!('compiled' in choice.serializer) || seen.has(choice.schema)) continue;
      seen.add(choice.schema);
      const jsonSchema = choice.serializer.compiled;
      const compiledSerializer = createResponseSerializerCompiler({ verify: false })({
        schema: choice.schema,
        method: choice.method,
        url: choice.url,
        httpStatus: choice.httpStatus ?? '200',
      });
      const zodSerializer = zodSerializerCompiler({
        schema: choice.schema as z.ZodType,
        method: choice.method,
        url: choice.url,
        httpStatus: choice.httpStatus ?? '200',
      });
      const loose = JSON.stringify(jsonSchema).includes('"additionalProperties":{}');
      for (const variant of ['full', 'sparse'] as const) {
        const value = sample(choice.schema as z.core.$ZodType, variant);
        const what = `${describeChoice(choice)} (${variant})`;
        const written = compiledSerializer(value);
        expect(written, what).toBe(zodSerializer(value));
        if (!loose) expect(written, what).not.toContain('undeclaredColumn');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('GET /v1/documents: timestamps as ISO 8601, nullables null, no column but the declared ones', async () => {
    const owner = 'serializer-owner';
    await insertDocument(t.db, owner, 'Serialized', ['one passage']);
    const response = await t.app.inject({
      method: 'GET',
      url: '/v1/documents?limit=20',
      headers: await t.auth(owner),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ items: Record<string, unknown>[]; nextCursor: string | null }>();
    expect(body.nextCursor).toBeNull();
    expect(Object.keys(body.items[0]!)).toEqual([
      'id',
      'title',
      'status',
      'error',
      'chunkCount',
      'file',
      'createdAt',
      'updatedAt',
    ]);
    expect(body.items[0]).toMatchObject({ title: 'Serialized', error: null, file: null });
    expect(body.items[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('problem+json keeps its extension members (validation `errors`, readiness `checks`)', async () => {
    const invalid = await t.app.inject({
      method: 'GET',
      url: '/v1/documents?limit=0',
      headers: await t.auth('serializer-owner'),
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(invalid.json()).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ location: 'querystring' })],
    });

    // /ready's 503 goes through its route's compiled problem+json serializer.
    const ready = createResponseSerializerCompiler({ verify: false })({
      schema: problemSchema.extend({ checks: z.object({ redis: z.object({ ok: z.boolean() }) }) }),
      method: 'GET',
      url: '/ready',
      httpStatus: '503',
      contentType: 'application/problem+json',
    });
    const problem = {
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'not ready: redis',
      checks: { redis: { ok: false } },
      requestId: 'req-1',
      retryAfter: 5,
    };
    expect(JSON.parse(ready(problem))).toEqual(problem);
  });
});

describe('the production serializer (no zod check)', () => {
  const view = z.object({
    id: z.uuid(),
    title: z.string(),
    note: z.string().optional(),
    error: z.string().nullable(),
    createdAt: timestamp,
    finishedAt: timestamp.nullable(),
  });

  async function appReturning(value: unknown, verify: boolean) {
    const app = Fastify().withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(createResponseSerializerCompiler({ verify }));
    app.get('/thing', { schema: { response: { 200: view } } }, async () => value as z.output<typeof view>);
    await app.ready();
    return app;
  }

  const row = {
    id: '0b4c2f1e-7d0a-4a57-9a3e-3f5d7f6b9c11',
    title: 'A title',
    note: undefined,
    error: null,
    createdAt: new Date('2026-12-03T14:55:23.676Z'),
    finishedAt: null,
    ownerId: 'someone-else',
  };

  it('leaks no undeclared column, writes dates as ISO 8601, keeps nulls and leaves undefined out', async () => {
    const app = await appReturning(row, false);
    const response = await app.inject({ method: 'GET', url: '/thing' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(
      '{"id":"0b4c2f1e-7d0a-4a57-9a3e-3f5d7f6b9c11","title":"A title","error":null,' +
        '"createdAt":"2026-12-03T14:55:23.676Z","finishedAt":null}',
    );
    expect(response.body).not.toContain('ownerId');
    await app.close();
  });

  it('answers 500 for a response missing a required property, as zod did', async () => {
    const { title: _title, ...untitled } = row;
    const app = await appReturning(untitled, false);
    expect((await app.inject({ method: 'GET', url: '/thing' })).statusCode).toBe(500);
    await app.close();
  });

  it('outside production (verify), a handler returning the wrong type still fails with a 500', async () => {
    // A string where a Date is declared: production writes it as it is; the zod check refuses it.
    const wrong = { ...row, createdAt: 'yesterday' };
    const production = await appReturning(wrong, false);
    expect((await production.inject({ method: 'GET', url: '/thing' })).json()).toMatchObject({
      createdAt: 'yesterday',
    });
    await production.close();
    const verified = await appReturning(wrong, true);
    expect((await verified.inject({ method: 'GET', url: '/thing' })).statusCode).toBe(500);
    await verified.close();
  });
});
