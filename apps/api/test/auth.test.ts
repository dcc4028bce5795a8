import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/access-tokens.ts';
import { DEVELOPMENT_JWT_SECRET } from '../src/config.ts';
import { openApiDocument } from '../src/openapi-document.ts';
import { createTestApp, TEST_JWT_SECRET, TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';

const run = promisify(execFile);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const ID = '00000000-0000-4000-8000-000000000000';

interface Operation {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  payload?: object;
}

/** The /v1 routes that need no credential, by design: the console's sign-in settings only. */
const PUBLIC_V1_ROUTES = ['GET /v1/console/config'];

/** The /v1 operations the OpenAPI document declares public (`security: []`). */
async function publicV1Operations(t: TestApp): Promise<string[]> {
  const document = await openApiDocument(t.app);
  return Object.entries(document.paths ?? {})
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, item]) =>
      (['get', 'post', 'delete'] as const)
        .filter((method) => item?.[method]?.security?.length === 0)
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
}

/**
 * Every authenticated /v1 operation of the OpenAPI document: a route added later is covered
 * without editing this file. The public ones are checked to be exactly PUBLIC_V1_ROUTES below.
 */
async function v1Operations(t: TestApp): Promise<Operation[]> {
  const document = await openApiDocument(t.app);
  const bodies: Record<string, object> = {
    '/v1/documents': { title: 'Auth', content: 'Authenticated text.' },
    '/v1/search': { query: 'text' },
    '/v1/conversations': {},
    '/v1/conversations/{id}/messages': { content: 'Hello' },
    '/v1/chat': { id: ID, messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] }] },
    '/v1/tasks': { type: 'agent-run', input: { conversationId: ID, content: 'Hello' } },
    '/v1/api-keys': { name: 'Auth', scopes: ['read'] },
    '/v1/runs/{id}/approvals': { decisions: [{ toolCallId: 'call', approved: true }] },
  };
  return Object.entries(document.paths ?? {})
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, item]) =>
      (['get', 'post', 'delete'] as const)
        .filter((method) => item?.[method] && item[method].security?.length !== 0)
        .map((method) => ({
          method: method.toUpperCase() as Operation['method'],
          url: path.replace('{id}', ID),
          ...(method === 'post' && bodies[path] ? { payload: bodies[path] } : {}),
        })),
    );
}

describe('bearer tokens (HS256)', () => {
  let t: TestApp;
  let operations: Operation[];
  beforeAll(async () => {
    t = await createTestApp();
    operations = await v1Operations(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("has no public /v1 route but the console's sign-in settings, which answer without a credential", async () => {
    expect(await publicV1Operations(t)).toEqual(PUBLIC_V1_ROUTES);
    const response = await t.app.inject({ method: 'GET', url: '/v1/console/config' });
    expect(response.statusCode).toBe(200);
  });

  it('covers every /v1 route of the OpenAPI document', () => {
    expect(operations.map((op) => `${op.method} ${op.url}`).sort()).toEqual(
      [
        'DELETE /v1/api-keys/{id}',
        'DELETE /v1/conversations/{id}',
        'DELETE /v1/documents/{id}',
        'GET /v1/api-keys',
        'GET /v1/chat/{id}/stream',
        'GET /v1/conversations',
        'GET /v1/conversations/{id}',
        'GET /v1/conversations/{id}/runs',
        'GET /v1/documents',
        'GET /v1/documents/{id}',
        'GET /v1/documents/{id}/file',
        'GET /v1/quotas',
        'GET /v1/runs/{id}',
        'GET /v1/runs/{id}/events',
        'GET /v1/tasks',
        'GET /v1/tasks/{id}',
        'GET /v1/usage',
        'POST /v1/api-keys',
        'POST /v1/chat',
        'POST /v1/conversations',
        'POST /v1/conversations/{id}/messages',
        'POST /v1/documents',
        'POST /v1/runs/{id}/approvals',
        'POST /v1/runs/{id}/cancel',
        'POST /v1/search',
        'POST /v1/tasks',
        'POST /v1/tasks/{id}/cancel',
      ].map((entry) => entry.replace('{id}', ID)),
    );
  });

  const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
    ['no credentials', async () => ({}), /^Bearer realm="keelson"$/],
    ['a non-bearer scheme', async () => ({ authorization: 'Basic YWxpY2U6c2VjcmV0' }), /invalid_request/],
    ['a garbage token', async () => ({ authorization: 'Bearer not.a.jwt' }), /invalid_token/],
    [
      'a token signed with another secret',
      async () => ({
        authorization: `Bearer ${await signAccessToken({ secret: 'x'.repeat(48), subject: 'alice' })}`,
      }),
      /invalid_token/,
    ],
    [
      'an expired token',
      async () => ({
        authorization: `Bearer ${await signAccessToken({ secret: TEST_JWT_SECRET, subject: 'alice', expiresInSeconds: -60 })}`,
      }),
      /error="invalid_token", error_description="The access token has expired"/,
    ],
    [
      'an unsigned token (alg: none)',
      async () => ({
        authorization: `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'alice', exp: now() + 600 })}.`,
      }),
      /invalid_token/,
    ],
    [
      'a token that never expires',
      async () => ({
        authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      }),
      /invalid_token/,
    ],
    [
      'a token without a subject',
      async () => ({
        authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET))}`,
      }),
      /invalid_token/,
    ],
  ];

  it.each(cases)('answers 401 problem+json on every /v1 route for %s', async (_case, headers, challenge) => {
    const sent = await headers();
    for (const operation of operations) {
      const response = await t.app.inject({ ...operation, headers: sent });
      const what = `${operation.method} ${operation.url}`;
      expect(response.statusCode, what).toBe(401);
      expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate'], what).toMatch(challenge);
      expect(response.json(), what).toMatchObject({ status: 401, type: 'urn:keelson:problem:unauthorized' });
    }
  });

  it('lets a valid token through on every /v1 route (no 401/403)', async () => {
    const headers = await t.auth('alice');
    for (const operation of operations) {
      const response = await t.app.inject({ ...operation, headers });
      expect([200, 201, 202, 204, 404], `${operation.method} ${operation.url}`).toContain(
        response.statusCode,
      );
    }
  });

  it('ignores an owner header sent with a user token: a user cannot act for someone else', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: await t.auth('victim'),
      payload: { title: 'private', content: 'private text' },
    });
    const id = created.json<{ id: string }>().id;
    const response = await t.app.inject({
      url: `/v1/documents/${id}`,
      headers: { ...(await t.auth('mallory')), 'x-keelson-owner': 'victim' },
    });
    expect(response.statusCode).toBe(404);
  });

  it('needs no credentials for probes and answers them even with a bad one', async () => {
    for (const url of ['/health', '/ready']) {
      expect((await t.app.inject({ url, headers: { authorization: 'Bearer nope' } })).statusCode, url).toBe(
        200,
      );
    }
  });
});

describe('the service token', () => {
  let t: TestApp;
  let documentId: string;
  const service = (owner?: string) => ({
    authorization: `Bearer ${TEST_SERVICE_TOKEN}`,
    ...(owner === undefined ? {} : { 'x-keelson-owner': owner }),
  });
  beforeAll(async () => {
    t = await createTestApp();
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: await t.auth('alice'),
      payload: { title: 'For the agent', content: 'The agent may read this.' },
    });
    documentId = created.json<{ id: string }>().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reads and searches for the owner it names, and only for that owner', async () => {
    const read = await t.app.inject({ url: `/v1/documents/${documentId}`, headers: service('alice') });
    expect(read.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/v1/documents', headers: service('alice') })).json()).toMatchObject({
      items: [expect.objectContaining({ id: documentId })],
    });
    expect((await t.app.inject({ url: '/v1/tasks', headers: service('alice') })).statusCode).toBe(200);
    const searched = await t.app.inject({
      method: 'POST',
      url: '/v1/search',
      headers: service('alice'),
      payload: { query: 'agent' },
    });
    expect(searched.statusCode).toBe(200);
    expect(
      (await t.app.inject({ url: `/v1/documents/${documentId}`, headers: service('bob') })).statusCode,
    ).toBe(404);
  });

  it.each([
    ['POST', '/v1/documents', { title: 'x', content: 'y' }],
    ['DELETE', `/v1/documents/${ID}`, undefined],
    ['POST', `/v1/tasks/${ID}/cancel`, undefined],
    ['POST', '/v1/conversations', { title: 'x' }],
    ['GET', '/v1/conversations', undefined],
    ['GET', `/v1/conversations/${ID}`, undefined],
    ['DELETE', `/v1/conversations/${ID}`, undefined],
    ['POST', `/v1/conversations/${ID}/messages`, { content: 'hi' }],
    ['GET', `/v1/conversations/${ID}/runs`, undefined],
    ['GET', `/v1/runs/${ID}`, undefined],
    ['GET', `/v1/runs/${ID}/events`, undefined],
    ['POST', `/v1/runs/${ID}/cancel`, undefined],
    ['POST', `/v1/runs/${ID}/approvals`, { decisions: [{ toolCallId: 'x', approved: true }] }],
    ['POST', '/v1/api-keys', { name: 'x', scopes: ['read'] }],
    ['GET', '/v1/api-keys', undefined],
    ['DELETE', `/v1/api-keys/${ID}`, undefined],
    ['GET', '/v1/usage', undefined],
    ['GET', '/v1/quotas', undefined],
  ] as const)(
    'is refused (403) for %s %s: creating, deleting, cancelling, conversations, runs, keys and usage stay with users',
    async (method, url, payload) => {
      const response = await t.app.inject({
        method,
        url,
        headers: service('alice'),
        ...(payload ? { payload } : {}),
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ type: 'urn:keelson:problem:forbidden' });
    },
  );

  it.each([
    ['missing', undefined],
    ['blank', ''],
    ['too long', 'o'.repeat(256)],
    ['with spaces', 'alice smith'],
  ])('answers 400 with field detail when the owner header is %s', async (_case, owner) => {
    const response = await t.app.inject({ url: '/v1/documents', headers: service(owner) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: [expect.objectContaining({ location: 'headers', pointer: '/x-keelson-owner' })],
    });
  });

  it('is not accepted when it is merely close: a wrong token is an invalid JWT (401)', async () => {
    const response = await t.app.inject({
      url: '/v1/documents',
      headers: { authorization: `Bearer ${TEST_SERVICE_TOKEN.slice(0, -1)}x`, 'x-keelson-owner': 'alice' },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('issuer and audience', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'keelson-api' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts only tokens from the configured issuer for the configured audience', async () => {
    const token = (claims: { issuer?: string; audience?: string }) =>
      signAccessToken({ secret: TEST_JWT_SECRET, subject: 'alice', ...claims });
    const status = async (claims: { issuer?: string; audience?: string }) =>
      (
        await t.app.inject({
          url: '/v1/documents',
          headers: { authorization: `Bearer ${await token(claims)}` },
        })
      ).statusCode;
    expect(await status({ issuer: 'https://issuer.test', audience: 'keelson-api' })).toBe(200);
    expect(await status({ issuer: 'https://elsewhere.test', audience: 'keelson-api' })).toBe(401);
    expect(await status({ issuer: 'https://issuer.test', audience: 'another-api' })).toBe(401);
    expect(await status({})).toBe(401);
  });
});

describe('JWKS (RS256 / ES256 from an identity provider)', () => {
  let server: Server;
  let jwksUrl: string;
  let keys: JWK[] = [];
  let rsa: CryptoKey;
  let ec: CryptoKey;
  let t: TestApp;

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256');
    const ecPair = await generateKeyPair('ES256');
    rsa = rsaPair.privateKey;
    ec = ecPair.privateKey;
    keys = [
      { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    // The identity provider, on loopback: it serves the public keys and nothing else.
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
    t = await createTestApp({
      env: { JWT_SECRET: '', JWT_JWKS_URL: jwksUrl, JWT_ISSUER: 'https://idp.test' },
    });
  });
  afterAll(async () => {
    await t?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const sign = (key: CryptoKey, alg: string, kid: string, subject = 'carol') =>
    new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setSubject(subject)
      .setIssuer('https://idp.test')
      .setExpirationTime('5m')
      .sign(key);
  const documentsWith = async (token: string) =>
    (await t.app.inject({ url: '/v1/documents', headers: { authorization: `Bearer ${token}` } })).statusCode;

  it('accepts RS256 and ES256 tokens signed by the provider’s keys', async () => {
    expect(await documentsWith(await sign(rsa, 'RS256', 'rsa-1'))).toBe(200);
    expect(await documentsWith(await sign(ec, 'ES256', 'ec-1'))).toBe(200);
  });

  it('tells applications of one provider apart by audience only: hence production requires JWT_AUDIENCE', async () => {
    // This app (like the config before production required it) has no JWT_AUDIENCE: a token the
    // provider issued for another application of the same tenant is as good as one for us.
    const forAnotherApp = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setSubject('carol')
      .setIssuer('https://idp.test')
      .setAudience('another-application')
      .setExpirationTime('5m')
      .sign(rsa);
    expect(await documentsWith(forAnotherApp)).toBe(200);

    const strict = await createTestApp({
      env: {
        JWT_SECRET: '',
        JWT_JWKS_URL: jwksUrl,
        JWT_ISSUER: 'https://idp.test',
        JWT_AUDIENCE: 'keelson-api',
      },
    });
    try {
      const status = async (token: string) =>
        (await strict.app.inject({ url: '/v1/documents', headers: { authorization: `Bearer ${token}` } }))
          .statusCode;
      expect(await status(forAnotherApp)).toBe(401);
      const forUs = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
        .setSubject('carol')
        .setIssuer('https://idp.test')
        .setAudience('keelson-api')
        .setExpirationTime('5m')
        .sign(rsa);
      expect(await status(forUs)).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('refuses HS256 tokens, unknown keys and keys of another provider', async () => {
    const hs256 = await signAccessToken({
      secret: TEST_JWT_SECRET,
      subject: 'carol',
      issuer: 'https://idp.test',
    });
    expect(await documentsWith(hs256)).toBe(401);
    const stranger = await generateKeyPair('RS256');
    expect(await documentsWith(await sign(stranger.privateKey, 'RS256', 'rsa-1'))).toBe(401);
    expect(await documentsWith(await sign(stranger.privateKey, 'RS256', 'unknown-kid'))).toBe(401);
  });

  it('answers 503 with Retry-After, not 401, when the key set cannot be fetched', async () => {
    // A second app whose cache is empty, pointed at a provider that is down.
    const down = await createTestApp({
      env: { JWT_SECRET: '', JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json', JWT_ISSUER: 'https://idp.test' },
    });
    try {
      const response = await down.app.inject({
        url: '/v1/documents',
        headers: { authorization: `Bearer ${await sign(rsa, 'RS256', 'rsa-1')}` },
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    } finally {
      await down.close();
    }
  });
});

describe('the token command', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const mint = (args: string[], env: Record<string, string>) =>
    run(process.execPath, ['--conditions=@repo/source', 'src/cli/mint-token.ts', ...args], {
      cwd: new URL('..', import.meta.url),
      env: { PATH: process.env.PATH, ...env },
    });

  it('mints a token the api accepts, for the owner named', async () => {
    const { stdout } = await mint(['dave'], { NODE_ENV: 'development', JWT_SECRET: TEST_JWT_SECRET });
    const token = stdout.trim();
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { authorization: `Bearer ${token}` },
      payload: { title: 'minted', content: 'by the token command' },
    });
    expect(created.statusCode).toBe(202);
    const mine = await t.app.inject({ url: '/v1/documents', headers: await t.auth('dave') });
    expect(mine.json()).toMatchObject({ items: [expect.objectContaining({ title: 'minted' })] });
  });

  it('refuses to mint without an owner, or with the default secret in production', async () => {
    await expect(mint([], { JWT_SECRET: TEST_JWT_SECRET })).rejects.toMatchObject({ stderr: /usage: token/ });
    await expect(mint(['dave'], { NODE_ENV: 'production' })).rejects.toMatchObject({ stderr: /JWT_SECRET/ });
  });

  it('signs with the public development secret only when NODE_ENV=development says so', async () => {
    // Unset is production: no secret, no token.
    await expect(mint(['dave'], {})).rejects.toMatchObject({
      stderr: /JWT_SECRET: is required in production/,
    });
    const { stdout } = await mint(['dave'], { NODE_ENV: 'development' });
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
    expect(payload.sub).toBe('dave');
  });
});
