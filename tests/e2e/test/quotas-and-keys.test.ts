import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../src/compose.ts';
import { ApiClient } from '../src/http.ts';
import { ProdStack } from '../src/prod-stack.ts';

/**
 * Issue 15 on the prod profile: the document quota and the monthly token quota hold across the
 * three api replicas behind HAProxy, and a revoked API key is refused by every replica, each of
 * which had it cached. The quotas are set with the admin command shipped in the api image.
 */
let stack: ProdStack;
let replicas: string[];

beforeAll(async () => {
  stack = await ProdStack.create('keelson-e2e-usage');
  await stack.project.down();
  await stack.project.compose(['build']);
  await stack.project.compose(['up', '--detach', '--wait', '--wait-timeout', '240']);
  await stack.connect();
  await stack.waitForReadyReplicas(3);
  replicas = await stack.project.containerIds('api-prod');
  expect(replicas).toHaveLength(3);
});

afterAll(async () => {
  if (process.env.E2E_KEEP !== '1' && stack) await stack.dispose();
});

/** A GET sent by `replica` to itself, bypassing the load balancer: its status code. */
async function statusOn(replica: string, path: string, authorization: string): Promise<number> {
  const script = `fetch('http://127.0.0.1:3000${path}', { headers: { authorization: process.argv[1] } }).then((r) => process.stdout.write(String(r.status)), () => process.exit(3))`;
  return Number(await docker(['exec', replica, 'node', '-e', script, authorization]));
}

describe('quotas and API keys across three api replicas', () => {
  it('lets 50 parallel creations through the load balancer store exactly the 10 the quota allows', async () => {
    const owner = 'e2e-quota';
    const set = await stack.project.compose([
      'exec',
      '-T',
      'api-prod',
      'node',
      'dist/cli/admin.js',
      'quota',
      'set',
      owner,
      '--documents',
      '10',
    ]);
    expect(JSON.parse(set)).toMatchObject({ ownerId: owner, maxDocuments: 10 });

    const api = new ApiClient(stack.baseUrl, await stack.token(owner));
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.request('POST', '/v1/documents', { body: { title: `q${i}`, content: `quota ${i}` } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40);
    expect(responses.find((response) => response.status === 429)!.body).toMatchObject({
      type: 'urn:keelson:problem:quota-exceeded',
      quota: 'documents',
      limit: 10,
      used: 10,
    });
    expect(await stack.sql(`select count(*) from documents where owner_id = '${owner}'`)).toEqual(['10']);
  });

  it('starts at most 10 of 50 parallel turns through the load balancer against a monthly token budget that allows 10', async () => {
    const owner = 'e2e-run-quota';
    // Each run going holds one model call's worth of the month: the agent's AGENT_TOKEN_BUDGET
    // plus AGENT_MAX_OUTPUT_TOKENS (8000 + 1024 by default), so this allows 10 runs, not 11.
    const reserve = 8_000 + 1_024;
    const set = await stack.project.compose([
      'exec',
      '-T',
      'api-prod',
      'node',
      'dist/cli/admin.js',
      'quota',
      'set',
      owner,
      '--monthly-tokens',
      String(11 * reserve - 1),
    ]);
    expect(JSON.parse(set)).toMatchObject({ ownerId: owner, maxMonthlyTokens: 11 * reserve - 1 });

    const api = new ApiClient(stack.baseUrl, await stack.token(owner));
    const conversations = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const created = await api.request('POST', '/v1/conversations', { body: { title: 'quota' } });
        expect(created.status).toBe(201);
        return (created.body as { id: string }).id;
      }),
    );
    // Slow answers (25 pieces, 200 ms apart: 5 s), so the runs admitted are still going, holding
    // their share of the month, when the last of the 50 arrives.
    const slowly = `stream slowly every 200 ms: ${'the quota holds on every replica. '.repeat(6)}`;
    const responses = await Promise.all(
      conversations.map((id) =>
        api.request('POST', `/v1/conversations/${id}/messages`, { body: { content: slowly } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40);
    expect(responses.find((response) => response.status === 429)!.body).toMatchObject({
      type: 'urn:keelson:problem:quota-exceeded',
      quota: 'monthly-tokens',
      limit: 11 * reserve - 1,
    });
    expect(await stack.sql(`select count(*) from runs where owner_id = '${owner}'`)).toEqual(['10']);
  });

  it('refuses a revoked key on every replica within a second, each having it cached', async () => {
    const owner = 'e2e-keys';
    const api = new ApiClient(stack.baseUrl, await stack.token(owner));
    const created = await api.request('POST', '/v1/api-keys', { body: { name: 'e2e', scopes: ['read'] } });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    const authorization = `Bearer ${key}`;
    for (const replica of replicas) expect(await statusOn(replica, '/v1/documents', authorization)).toBe(200);

    const revoked = await api.request('DELETE', `/v1/api-keys/${id}`);
    expect(revoked.status).toBe(204);
    // A second after the revocation every replica refuses it, on the first try: the revoking
    // replica forgot it at once, the others on the Redis message or, at the latest, when their
    // 1 s cache entry (read before the revocation) expired.
    await sleep(1_000);
    for (const replica of replicas) expect(await statusOn(replica, '/v1/documents', authorization)).toBe(401);
  });
});
