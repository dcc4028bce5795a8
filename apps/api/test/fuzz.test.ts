import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { createTestBucket } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/openapi-document.ts';
import { insertConversation } from './support/fixtures.ts';
import { TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * Property: whatever a client sends — malformed bodies, headers, path and query parameters —
 * the api answers with a status below 500 and an RFC 9457 body for errors, and keeps serving.
 * Every route of the OpenAPI document is exercised, so a new route is fuzzed automatically, and
 * so is /mcp (hidden from the document), whose protocol errors are JSON-RPC bodies.
 *
 * The api runs with object storage (the test S3 server) and the real agent behind it (the fake model answering by rule), and some path
 * ids are real conversations of the fuzzer: a well-formed message really runs a turn — through
 * the agent, and back into this api's /mcp when the model asks to search.
 */

let stack: TestStack;
let t: TestApp;
let routes: { method: string; path: string }[];
let validToken: string;
let conversationIds: string[];

beforeAll(async () => {
  // With object storage, so malformed uploads (multipart bodies) are fuzzed too, not answered
  // "uploads not configured" at once.
  stack = await createTestStack({ apiEnv: (await createTestBucket('fuzz')).env });
  t = stack.api;
  const document: OpenAPIV3_1.Document = await openApiDocument(t.app);
  routes = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    (['get', 'post', 'delete'] as const)
      .filter((method) => item?.[method])
      .map((method) => ({ method: method.toUpperCase(), path })),
  );
  routes.push(...['POST', 'POST', 'POST', 'GET', 'DELETE'].map((method) => ({ method, path: '/mcp' })));
  validToken = (await t.auth('fuzzer')).authorization;
  conversationIds = await Promise.all([1, 2, 3].map(() => insertConversation(t.db, 'fuzzer')));
});
afterAll(async () => {
  await stack?.close();
});

/** What an HTTP parser lets through to the application: printable ASCII header values. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 80,
});
const anyText = fc.string({ unit: 'binary', maxLength: 60 });

const pathParam = fc.oneof(
  fc.constant(() => conversationIds[0]!),
  fc.constant(() => conversationIds[1]!),
  fc.uuid().map((id) => () => id),
  anyText.map((text) => () => encodeURIComponent(text)),
  fc
    .constantFrom(
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
    )
    .map((value) => () => value),
);

const queryString = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.oneof(
        fc.constantFrom('limit', 'cursor', 'status', 'type', 'after', '__proto__', 'limit[]'),
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
    accept: fc.oneof(
      headerText,
      fc.constantFrom('text/event-stream', 'application/json, text/event-stream', 'text/event-stream;q=0'),
    ),
  },
  { requiredKeys: [] },
);

/** Bodies: valid-looking shapes with hostile values, arbitrary JSON, and text that is not JSON at all. */
/** MCP's JSON-RPC: real methods and tool names with hostile parameters, and near misses. */
const jsonRpc = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.anything()),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    method: fc.oneof(
      fc.constantFrom('initialize', 'tools/list', 'tools/call', 'ping', 'notifications/initialized'),
      fc.string(),
    ),
    params: fc.oneof(
      fc.record({
        name: fc.oneof(
          fc.constantFrom('search_documents', 'get_document', 'create_task', 'get_task'),
          fc.string(),
        ),
        arguments: fc.oneof(
          fc.anything(),
          fc.record(
            {
              query: fc.string(),
              id: fc.uuid(),
              conversationId: fc.uuid(),
              content: fc.string(),
              limit: fc.integer(),
            },
            { requiredKeys: [] },
          ),
        ),
      }),
      fc.anything(),
    ),
  },
  { requiredKeys: ['method'] },
);

const body = fc.oneof(
  fc
    .record(
      {
        title: fc.anything(),
        content: fc.anything(),
        query: fc.anything(),
        limit: fc.oneof(fc.integer(), fc.double(), fc.string()),
        type: fc.oneof(fc.constant('agent-run'), fc.anything()),
        input: fc.oneof(
          fc.record(
            {
              conversationId: fc.oneof(fc.constant('real'), fc.uuid(), fc.anything()),
              content: fc.oneof(fc.string(), fc.anything()),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    )
    .map(
      (value) => () =>
        // 'real': one of the fuzzer's conversations (known only once the app is up).
        JSON.stringify(value, (key, item: unknown) =>
          key === 'conversationId' && item === 'real' ? conversationIds[2] : item,
        ),
    ),
  jsonRpc.map((value) => () => JSON.stringify(value)),
  fc.jsonValue().map((value) => () => JSON.stringify(value)),
  fc
    .constantFrom(
      '{"__proto__": {"polluted": true}, "title": "t", "content": "c"}',
      '{"constructor": {"prototype": {"polluted": true}}, "query": "x"}',
      '{"title": "t", "content": "c"',
      '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
      '{"query": "\\u0000\\ud800", "limit": 1}',
      '',
      'null',
    )
    .map((value) => () => value),
  anyText.map((value) => () => value),
);

/** Where a random request goes: any route, by index. */
const MESSAGES = -1;

/**
 * A well-formed message to a real conversation (with hostile content, keys and Accept), so a
 * share of the runs are real turns: the agent, its model, and the tools back over /mcp.
 */
const turn = fc.record({
  route: fc.constant(MESSAGES),
  param: fc.constantFrom(0, 1).map((i) => () => conversationIds[i]!),
  query: fc.constant(''),
  authorization: fc.constant(() => validToken),
  headers: fc.record(
    {
      'content-type': fc.constant('application/json'),
      accept: fc.constantFrom('application/json', 'text/event-stream', '*/*'),
      'idempotency-key': fc.oneof(fc.uuid(), headerText),
    },
    { requiredKeys: ['content-type'] },
  ),
  body: fc
    .oneof(fc.string({ minLength: 1, maxLength: 200 }), fc.constant('search: kestrel'))
    .map((content) => () => JSON.stringify({ content })),
});

const request = fc.oneof(
  {
    weight: 15,
    arbitrary: fc.record({
      route: fc.nat(),
      param: pathParam,
      query: queryString,
      authorization,
      headers,
      body: fc.option(body, { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: turn },
);

describe('fuzzing every route', () => {
  it('never answers 5xx, always answers errors as problem+json, and keeps serving', async () => {
    const statuses = new Map<number, number>();
    let turns = 0;
    await fc.assert(
      fc.asyncProperty(request, async (sample) => {
        const route =
          sample.route === MESSAGES
            ? { method: 'POST', path: '/v1/conversations/{id}/messages' }
            : routes[sample.route % routes.length]!;
        const url = route.path.replace('{id}', sample.param()) + sample.query;
        const auth = sample.authorization();
        const response = await t.app.inject({
          method: route.method as 'GET' | 'POST' | 'DELETE',
          url,
          headers: { ...sample.headers, ...(auth === undefined ? {} : { authorization: auth }) },
          ...(sample.body === undefined ? {} : { payload: sample.body() }),
        });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const what = `${route.method} ${url} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, what).toBeLessThan(500);
        if (response.statusCode >= 400) {
          const type = response.headers['content-type'];
          if (route.path === '/mcp' && /^application\/json/.test(String(type))) {
            // The MCP transport's own refusals (406, 415, parse errors, 405): JSON-RPC errors.
            expect(response.json(), what).toMatchObject({ jsonrpc: '2.0', error: expect.any(Object) });
          } else {
            expect(type, what).toMatch(/^application\/problem\+json/);
            expect(response.json<{ status: number }>().status, what).toBe(response.statusCode);
          }
        }
        if (route.path.endsWith('/messages') && response.statusCode === 200) turns += 1;
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 1_500 },
    );
    // The run reached past authentication and validation, not only the front door.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 404]));
    // …and real turns ran through the agent.
    expect(turns).toBeGreaterThan(0);
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    expect((await t.app.inject('/ready')).statusCode).toBe(200);
  });
});
