import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { apiKeys } from '@repo/db';
import { createLogger } from '@repo/observability';
import { captureLines, waitFor } from '@repo/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashApiKey } from '../src/api-keys/api-key-format.ts';
import { createApiKeysService } from '../src/api-keys/api-keys-service.ts';
import { apiKeyPepper } from '../src/config.ts';
import { insertDocument } from './support/fixtures.ts';
import { createTestApp, silentLogger, type TestApp } from './support/test-app.ts';

/**
 * API keys through the app over real HTTP, on real Postgres and Redis: two replicas (two app
 * instances sharing the database and the Redis prefix) for revocation, and an app whose every log
 * line is captured, at trace level, to prove a key never reaches a log.
 */

/** What the app logged, one JSON line per entry. */
const log = captureLines();
let t: TestApp;
let replica: TestApp;
let aliceDocument: string;

beforeAll(async () => {
  t = await createTestApp({ logger: createLogger({ service: 'api-test', level: 'trace' }, log.stream) });
  replica = await createTestApp({ database: t.database, prefix: t.prefix });
  aliceDocument = await insertDocument(t.db, 'alice', 'Harbour log', ['The keelson was replaced in spring.']);
});
afterAll(async () => {
  await replica?.close();
  await t?.close();
});

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  scopes: string[];
  name: string;
  expiresAt: string | null;
}

async function createKey(
  authorization: { authorization: string },
  body: Record<string, unknown>,
  app: TestApp = t,
): Promise<CreatedKey> {
  const response = await app.app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: authorization,
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<CreatedKey>();
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('creating, listing and revoking keys', () => {
  it('returns the key once; only its HMAC under the pepper is stored; the list never shows it', async () => {
    const alice = await t.auth('alice');
    const created = await createKey(alice, { name: 'nightly import', scopes: ['read', 'write'] });
    expect(created.key).toMatch(/^kls_[a-z2-7]{10}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`kls_${created.prefix}_`)).toBe(true);
    expect(created).toMatchObject({ name: 'nightly import', scopes: ['read', 'write'], expiresAt: null });

    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row!.hash).toBe(hashApiKey(created.key, apiKeyPepper(t.config)));
    expect(JSON.stringify(row)).not.toContain(created.key.split('_')[2]);

    const list = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: alice });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(created.key);
    expect(list.json().items).toContainEqual(
      expect.objectContaining({
        id: created.id,
        prefix: created.prefix,
        scopes: ['read', 'write'],
        lastUsedAt: null,
      }),
    );
    // Another owner sees none of alice's keys and cannot revoke them.
    const bob = await t.auth('bob');
    const bobs = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: bob });
    expect(bobs.json().items).toEqual([]);
    const steal = await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: bob });
    expect(steal.statusCode).toBe(404);
  });

  it('validates the body: names, scopes and expiry, as problem+json', async () => {
    const alice = await t.auth('alice');
    for (const payload of [
      { name: '', scopes: ['read'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['admin'] },
      { name: 'x', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' },
      { name: 'x', scopes: ['read'], expiresAt: 'tomorrow' },
      { name: 'x\u0000', scopes: ['read'] },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: alice, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('records when a key was last used, without a write per request', async () => {
    const created = await createKey(await t.auth('alice'), { name: 'touch', scopes: ['read'] });
    for (let i = 0; i < 5; i++) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/v1/documents',
        headers: bearer(created.key),
      });
      expect(response.statusCode).toBe(200);
    }
    await waitFor(async () => {
      const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
      return row!.lastUsedAt !== null;
    });
  });
});

describe('a key acts as its owner, limited to its scopes', () => {
  it('a read key reads the owner’s documents and cannot write, run the agent or manage keys', async () => {
    const { key } = await createKey(await t.auth('alice'), { name: 'reader', scopes: ['read'] });
    const read = await t.app.inject({
      method: 'GET',
      url: `/v1/documents/${aliceDocument}`,
      headers: bearer(key),
    });
    expect(read.statusCode).toBe(200);
    const write = await t.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: bearer(key),
      payload: { title: 't', content: 'c' },
    });
    expect(write.statusCode).toBe(403);
    expect(write.json().detail).toBe('This credential does not grant documents:write');
    const keys = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(key) });
    expect(keys.statusCode).toBe(403);
    // Another owner's document is not found, as for alice's own token.
    const bobDocument = await insertDocument(t.db, 'bob', 'Bob', ['Bob’s text.']);
    const other = await t.app.inject({
      method: 'GET',
      url: `/v1/documents/${bobDocument}`,
      headers: bearer(key),
    });
    expect(other.statusCode).toBe(404);
  });

  it('a key with the keys scope creates keys, but never with scopes it does not hold', async () => {
    const { key } = await createKey(await t.auth('alice'), { name: 'manager', scopes: ['read', 'keys'] });
    const child = await createKey(bearer(key), { name: 'child', scopes: ['read'] });
    expect(child.scopes).toEqual(['read']);
    const escalate = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(key),
      payload: { name: 'more', scopes: ['read', 'agent'] },
    });
    expect(escalate.statusCode).toBe(403);
    expect(escalate.json().detail).toBe('An API key cannot grant scopes it does not hold: agent');
  });

  it('works on /mcp: the owner’s search, and tools outside its scopes refused', async () => {
    const { key } = await createKey(await t.auth('alice'), { name: 'mcp', scopes: ['read'] });
    const url = `${await replica.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
    const client = new Client({ name: 'api-key-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: bearer(key) } }),
    );
    try {
      const search = await client.callTool({ name: 'search_documents', arguments: { query: 'keelson' } });
      expect(search.isError).toBeFalsy();
      const hits = (search.structuredContent as { hits: { documentId: string }[] }).hits;
      expect(hits.map((hit) => hit.documentId)).toEqual([aliceDocument]);
      const queue = await client.callTool({
        name: 'create_task',
        arguments: { conversationId: '00000000-0000-4000-8000-000000000000', content: 'hi' },
      });
      expect(queue.isError).toBe(true);
      expect(JSON.stringify(queue.content)).toContain('tasks:write');
    } finally {
      await client.close();
    }
  });

  it('refuses malformed, unknown and expired keys with 401', async () => {
    const { key, id } = await createKey(await t.auth('alice'), { name: 'soon expired', scopes: ['read'] });
    // The right prefix with one character of the secret changed (never to itself).
    const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of ['kls_short', tampered, `kls_${'a'.repeat(10)}_${'b'.repeat(43)}`]) {
      const response = await t.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(bad) });
      expect(response.statusCode, bad).toBe(401);
      expect(response.json().detail).toBe('The API key is invalid or revoked');
    }
    await t.db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(apiKeys.id, id));
    await waitFor(async () => {
      const response = await t.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(key) });
      return response.statusCode === 401 && response.json().detail === 'The API key has expired';
    });
  });
});

describe('the hot path', () => {
  it('costs no database round trip per request: one lookup per key and second at most, shared by concurrent misses', async () => {
    const service = createApiKeysService({
      db: t.db,
      redis: t.redis,
      prefix: `${t.prefix}-hot`,
      pepper: apiKeyPepper(t.config),
      logger: silentLogger,
    });
    try {
      const { key } = await service.create('ivan', { name: 'hot', scopes: ['read'] });
      const lookups = vi.spyOn(t.db, 'select');
      const started = Date.now();
      // 200 at once on a cold cache: one query between them.
      const concurrent = await Promise.all(Array.from({ length: 200 }, () => service.verify(key)));
      expect(concurrent.every((result) => result.ok)).toBe(true);
      expect(lookups).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 500; i++) expect((await service.verify(key)).ok).toBe(true);
      const seconds = (Date.now() - started) / 1_000;
      // The cache lives 1 s: one more lookup per second that passed, however many requests.
      expect(lookups.mock.calls.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      lookups.mockRestore();
    } finally {
      service.close();
    }
  });
});

describe('revocation', () => {
  it('is effective on every replica within a second, while both had the key cached', async () => {
    const { key, id } = await createKey(await t.auth('alice'), { name: 'revoked', scopes: ['read'] });
    // Both replicas verify the key (and so cache it) before it is revoked on one of them.
    for (const app of [t, replica]) {
      const response = await app.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(key) });
      expect(response.statusCode).toBe(200);
    }
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: await t.auth('alice'),
    });
    expect(revoked.statusCode).toBe(204);
    const revokedAt = Date.now();
    const here = await t.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(key) });
    expect(here.statusCode).toBe(401);
    await waitFor(
      async () =>
        (await replica.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(key) }))
          .statusCode === 401,
      { timeoutMs: 1_000, intervalMs: 20 },
    );
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: await t.auth('alice'),
    });
    expect(again.statusCode).toBe(404);
  });
});

describe('logs', () => {
  it('never carry a key: not when created, used, refused or revoked', async () => {
    const alice = await t.auth('alice');
    const created = await createKey(alice, { name: 'secret', scopes: ['read', 'keys'] });
    await t.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(created.key) });
    await t.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(`${created.key}x`) });
    await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(created.key) });
    await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: alice });
    await t.app.inject({ method: 'GET', url: '/v1/documents', headers: bearer(created.key) });
    const secretPart = created.key.split('_')[2]!;
    expect(log.lines.length).toBeGreaterThan(5);
    expect(log.lines.some((line) => line.includes('/v1/api-keys'))).toBe(true);
    expect(log.lines.filter((line) => line.includes(secretPart))).toEqual([]);
  });
});
