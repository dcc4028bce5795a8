import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/openapi-document.ts';
import { createTestApp, TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';

/**
 * Property: whatever a client sends — malformed bodies, headers, path and query parameters —
 * the api answers with a status below 500 and an RFC 9457 body for errors, and keeps serving.
 * Every route of the OpenAPI document is exercised, so a new route is fuzzed automatically.
 */

let t: TestApp;
let routes: { method: string; path: string }[];
let validToken: string;

beforeAll(async () => {
  t = await createTestApp();
  const document: OpenAPIV3_1.Document = await openApiDocument(t.app);
  routes = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    (['get', 'post', 'delete'] as const)
      .filter((method) => item?.[method])
      .map((method) => ({ method: method.toUpperCase(), path })),
  );
  validToken = (await t.auth('fuzzer')).authorization;
});
afterAll(async () => {
  await t?.close();
});

/** What an HTTP parser lets through to the application: printable ASCII header values. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 80,
});
const anyText = fc.string({ unit: 'binary', maxLength: 60 });

const pathParam = fc.oneof(
  fc.uuid(),
  anyText.map(encodeURIComponent),
  fc.constantFrom(
    '',
    '%',
    '%zz',
    '%E0%A4%A',
    '..',
    '%2e%2e',
    'null',
    '-1',
    '0',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ),
);

const queryString = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.oneof(
        fc.constantFrom('limit', 'cursor', 'status', 'type', '__proto__', 'limit[]'),
        fc.string({ maxLength: 8 }),
      ),
      fc.oneof(
        anyText,
        fc.integer().map(String),
        fc.constantFrom('', '1e3', '-0', 'NaN', 'queued', 'ready', '%'),
      ),
      { maxKeys: 4 },
    )
    .map((params) => `?${new URLSearchParams(params).toString()}`),
  fc.constantFrom(
    '?limit=1&limit=2',
    '?cursor=%',
    '?&&=&',
    '?status[]=queued',
    '?limit=99999999999999999999',
  ),
);

const authorization = fc.oneof(
  { weight: 6, arbitrary: fc.constant(() => validToken) },
  { weight: 1, arbitrary: fc.constant(() => undefined) },
  { weight: 1, arbitrary: headerText.map((value) => () => value) },
  { weight: 1, arbitrary: headerText.map((value) => () => `Bearer ${value}`) },
  { weight: 1, arbitrary: fc.constant(() => `Bearer ${TEST_SERVICE_TOKEN}`) },
);

const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-16',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/problem+json',
      ),
      headerText,
    ),
    'idempotency-key': headerText,
    'x-keelson-owner': headerText,
    'x-request-id': headerText,
    'x-forwarded-for': headerText,
    accept: headerText,
  },
  { requiredKeys: [] },
);

/** Bodies: valid-looking shapes with hostile values, arbitrary JSON, and text that is not JSON at all. */
const body = fc.oneof(
  fc
    .record(
      {
        title: fc.anything(),
        content: fc.anything(),
        query: fc.anything(),
        limit: fc.oneof(fc.integer(), fc.double(), fc.string()),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.constantFrom(
    '{"__proto__": {"polluted": true}, "title": "t", "content": "c"}',
    '{"constructor": {"prototype": {"polluted": true}}, "query": "x"}',
    '{"title": "t", "content": "c"',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    '{"query": "\\u0000\\ud800", "limit": 1}',
    '',
    'null',
  ),
  anyText,
);

const request = fc.record({
  route: fc.nat(),
  param: pathParam,
  query: queryString,
  authorization,
  headers,
  body: fc.option(body, { nil: undefined }),
});

describe('fuzzing every route', () => {
  it('never answers 5xx, always answers errors as problem+json, and keeps serving', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (sample) => {
        const route = routes[sample.route % routes.length]!;
        const url = route.path.replace('{id}', sample.param) + sample.query;
        const auth = sample.authorization();
        const response = await t.app.inject({
          method: route.method as 'GET' | 'POST' | 'DELETE',
          url,
          headers: { ...sample.headers, ...(auth === undefined ? {} : { authorization: auth }) },
          ...(sample.body === undefined ? {} : { payload: sample.body }),
        });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const what = `${route.method} ${url} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, what).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
          expect(response.json<{ status: number }>().status, what).toBe(response.statusCode);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 1_500 },
    );
    // The run reached past authentication and validation, not only the front door.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 404]));
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    expect((await t.app.inject('/ready')).statusCode).toBe(200);
  });
});
