import { createTestDatabase } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApiDocument } from '../src/openapi-document.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/** Asks for a development token; the status and body as the console would see them. */
async function devToken(t: TestApp, payload: object) {
  const response = await t.app.inject({ method: 'POST', url: '/dev/token', payload });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

describe('POST /dev/token with the public development secret (NODE_ENV=development, no JWT_SECRET)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { NODE_ENV: 'development', JWT_SECRET: '' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('mints a token the api accepts for the subject asked for', async () => {
    const { status, body } = await devToken(t, { subject: 'console-alice' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ subject: 'console-alice', expiresInSeconds: 3600 });
    const documents = await t.app.inject({
      method: 'GET',
      url: '/v1/documents',
      headers: { authorization: `Bearer ${String(body.token)}` },
    });
    expect(documents.statusCode).toBe(200);
  });

  it('defaults the subject to "developer"', async () => {
    expect((await devToken(t, {})).body).toMatchObject({ subject: 'developer' });
  });

  it('refuses a subject that is not a usable owner id with a 400 problem', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/dev/token',
      payload: { subject: 'has a space' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('is not part of the OpenAPI document', async () => {
    expect(Object.keys((await openApiDocument(t.app)).paths ?? {})).not.toContain('/dev/token');
  });
});

describe('POST /dev/token does not exist where tokens are signed with a secret of their own', () => {
  const cases: [string, Record<string, string>][] = [
    ['development with JWT_SECRET set (a shared stack)', { NODE_ENV: 'development' }],
    ['test', {}],
    [
      'production',
      {
        NODE_ENV: 'production',
        SERVICE_AUTH_TOKEN: 's'.repeat(48),
        API_KEY_PEPPER: 'p'.repeat(48),
        CORS_ORIGINS: 'https://console.example.com',
        DATABASE_SSL_MODE: 'disable',
      },
    ],
  ];
  for (const [name, env] of cases) {
    it(name, async () => {
      // Production refuses the published development password: a database with a role of its own.
      const database =
        env.NODE_ENV === 'production'
          ? await createTestDatabase(inject('databaseUrl'), 'api', { privateRole: true })
          : undefined;
      const t = await createTestApp({ env, ...(database ? { database } : {}) });
      try {
        const { status, body } = await devToken(t, { subject: 'mallory' });
        expect(status).toBe(404);
        expect(body).not.toHaveProperty('token');
      } finally {
        await t.close();
        await database?.drop();
      }
    });
  }
});
