import { readFileSync } from 'node:fs';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH, openApiDocument } from '../src/openapi-document.ts';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app.ts';

let t: TestApp;
let document: OpenAPIV3_1.Document;

beforeAll(async () => {
  t = await createTestApp();
  document = await openApiDocument(t.app);
});
afterAll(async () => {
  await t?.close();
});

const operations = () =>
  Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    (['get', 'post', 'delete'] as const)
      .filter((method) => item?.[method])
      .map((method) => ({ path, method, operation: item![method]! })),
  );

describe('OpenAPI', () => {
  it('matches the committed openapi.json (run `pnpm --filter @repo/api openapi` after changing a route)', () => {
    const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as unknown;
    expect(committed).toEqual(document);
  });

  it('is OpenAPI 3.1 and documents every route with schemas for its inputs and outputs', () => {
    expect(document.openapi).toBe('3.1.0');
    // The console's sign-in settings are the one public /v1 route, read before anyone signs in.
    const publicRoute = operations().find(({ path }) => path === '/v1/console/config');
    expect(publicRoute?.operation.security).toEqual([]);
    const v1 = operations().filter(({ path }) => path.startsWith('/v1/') && path !== '/v1/console/config');
    expect(v1).toHaveLength(27);
    for (const { path, method, operation } of v1) {
      const what = `${method} ${path}`;
      expect(operation.security, what).toContainEqual({ bearerAuth: [] });
      for (const status of ['400', '401', '403', '429'])
        expect(operation.responses, what).toHaveProperty(status);
      const success = Object.keys(operation.responses ?? {}).find((status) => status.startsWith('2'));
      expect(success, what).toBeDefined();
      if (path.includes('{id}')) {
        expect(operation.parameters, what).toContainEqual(
          expect.objectContaining({ in: 'path', name: 'id' }),
        );
      }
      if (method === 'post' && !path.includes('cancel')) expect(operation.requestBody, what).toBeDefined();
    }
  });

  it('describes error responses as problem+json, referring to one Problem schema', () => {
    const notFound = document.paths?.['/v1/documents/{id}']?.get?.responses?.[
      '404'
    ] as OpenAPIV3_1.ResponseObject;
    expect(notFound.content?.['application/problem+json']?.schema).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(document.components?.schemas?.Problem).toBeDefined();
  });
});

describe('/docs', () => {
  it('serves the interactive reference outside production', async () => {
    const page = await t.app.inject('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const json = await t.app.inject('/docs/json');
    expect(json.json()).toMatchObject({ openapi: '3.1.0' });
  });

  it('is not served in production', async () => {
    const production = await createTestApp({
      env: {
        NODE_ENV: 'production',
        JWT_SECRET: TEST_JWT_SECRET,
        API_KEY_PEPPER: 'test-api-key-pepper-'.padEnd(48, 'k'),
        CORS_ORIGINS: 'https://app.example.com',
      },
      // Production refuses the test database's (published) password; this app never queries.
      databaseUrl: (url) => url.replace(/:\/\/([^:]+):[^@]*@/, '://$1:not-the-published-password@'),
    });
    try {
      expect((await production.app.inject('/docs/')).statusCode).toBe(404);
      expect((await production.app.inject('/docs/json')).statusCode).toBe(404);
      // The document itself is the same: it depends on the routes, not on the environment.
      expect(await openApiDocument(production.app)).toEqual(document);
    } finally {
      await production.close();
    }
  });
});
