import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { chunks, documents, tasks } from '@repo/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_PERMISSIONS, type Permission } from '../src/auth/permissions.ts';
import { createDocumentsService } from '../src/documents/documents-service.ts';
import { createMcpServer } from '../src/mcp/mcp-server.ts';
import { createSearchService } from '../src/search/search-service.ts';
import { createJobControl } from '../src/tasks/job-control.ts';
import { createRunsService } from '../src/runs/runs-service.ts';
import { createTasksService } from '../src/tasks/tasks-service.ts';
import { insertConversation, insertDocument } from './support/fixtures.ts';
import { createTestApp, silentLogger, TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';

/**
 * The api's MCP endpoint as MCP clients see it: the official SDK's Client and streamable HTTP
 * transport, over real HTTP to the api listening on a loopback port.
 */

let t: TestApp;
let url: string;
let aliceDocument: string;
let bobDocument: string;
let conversationId: string;
const clients: Client[] = [];

beforeAll(async () => {
  t = await createTestApp();
  url = `${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
  aliceDocument = await insertDocument(t.db, 'alice', 'Harbour log', [
    'The keelson was replaced in the spring refit.',
    'Sails were mended on the quay.',
  ]);
  bobDocument = await insertDocument(t.db, 'bob', 'Bob’s boat', ['Bob also replaced his keelson.']);
  conversationId = await insertConversation(t.db, 'alice');
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t?.close();
});

async function connect(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'api-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  clients.push(client);
  return client;
}
const service = (owner?: string) => ({
  authorization: `Bearer ${TEST_SERVICE_TOKEN}`,
  ...(owner ? { 'x-keelson-owner': owner } : {}),
});

interface Hits {
  hits: { documentId: string; documentTitle: string; content: string; score: number }[];
}
const textOf = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join('\n');

describe('POST /mcp with a user token (Claude Desktop, an IDE, any MCP client)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(await t.auth('alice'));
  });

  it('lists the stack’s tools with their input schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'create_task',
      'get_document',
      'get_task',
      'search_documents',
    ]);
    const search = tools.find((tool) => tool.name === 'search_documents')!;
    expect(search.inputSchema).toMatchObject({ type: 'object', required: ['query'] });
    expect(search.outputSchema).toMatchObject({ type: 'object' });
    expect(search.annotations).toMatchObject({ readOnlyHint: true });
  });

  it("searches the user's real chunks, structured and as text, and never another owner's", async () => {
    const result = await client.callTool({ name: 'search_documents', arguments: { query: 'keelson' } });
    expect(result.isError).toBeFalsy();
    const { hits } = result.structuredContent as Hits;
    expect(hits).toEqual([
      expect.objectContaining({
        documentId: aliceDocument,
        documentTitle: 'Harbour log',
        content: 'The keelson was replaced in the spring refit.',
        score: expect.any(Number),
      }),
    ]);
    expect(textOf(result)).toContain('The keelson was replaced in the spring refit.');
    expect(textOf(result)).not.toContain('Bob');
  });

  it('reads a document with its text; another owner’s is not found', async () => {
    const result = await client.callTool({ name: 'get_document', arguments: { id: aliceDocument } });
    expect(result.structuredContent).toMatchObject({
      id: aliceDocument,
      title: 'Harbour log',
      status: 'ready',
      chunkCount: 2,
      content: expect.stringContaining('spring refit'),
      truncated: false,
    });
    const other = await client.callTool({ name: 'get_document', arguments: { id: bobDocument } });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toBe(`No document ${bobDocument}.`);
  });

  it('names the page or the section a passage of an uploaded file comes from', async () => {
    const [document] = await t.db
      .insert(documents)
      .values({ ownerId: 'alice', title: 'Dock manual.pdf', content: '', contentHash: 'm', status: 'ready' })
      .returning({ id: documents.id });
    await t.db.insert(chunks).values([
      {
        documentId: document!.id,
        ordinal: 0,
        content: 'Bollards are inspected monthly.',
        metadata: { page: 4 },
      },
      {
        documentId: document!.id,
        ordinal: 1,
        content: 'Bollards bear a load plate.',
        metadata: { headings: ['Equipment', 'Bollards'] },
      },
    ]);
    const result = await client.callTool({ name: 'search_documents', arguments: { query: 'bollards' } });
    const { hits } = result.structuredContent as {
      hits: { page: number | null; headings: string[] | null }[];
    };
    expect(hits.map((hit) => [hit.page, hit.headings])).toEqual(
      expect.arrayContaining([
        [4, null],
        [null, ['Equipment', 'Bollards']],
      ]),
    );
    expect(textOf(result)).toContain(`Dock manual.pdf (document ${document!.id}, page 4, passage 0`);
    expect(textOf(result)).toContain(`(document ${document!.id}, section "Equipment › Bollards", passage 1`);
  });

  it('refuses invalid arguments as a tool error', async () => {
    const result = await client.callTool({ name: 'search_documents', arguments: { query: 'x', limit: 0 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/limit/);
  });
});

describe('POST /mcp with the service token (the agent service)', () => {
  it('acts for the owner it names: the same search, owner-scoped', async () => {
    const client = await connect(service('alice'));
    const result = await client.callTool({ name: 'search_documents', arguments: { query: 'keelson' } });
    expect((result.structuredContent as Hits).hits.map((hit) => hit.documentId)).toEqual([aliceDocument]);
    const asBob = await connect(service('bob'));
    const bobs = await asBob.callTool({ name: 'search_documents', arguments: { query: 'keelson' } });
    expect((bobs.structuredContent as Hits).hits.map((hit) => hit.documentId)).toEqual([bobDocument]);
  });

  it('queues one task per tool call: create_task honours the idempotency key in the request _meta', async () => {
    const client = await connect(service('alice'));
    const key = `${crypto.randomUUID()}:call_1`;
    const call = () =>
      client.callTool({
        name: 'create_task',
        arguments: { conversationId, content: 'Once, however often it is sent' },
        _meta: { 'io.keelson/idempotency-key': key },
      });
    const first = await call();
    const retried = await call();
    expect(first.isError).toBeFalsy();
    expect((retried.structuredContent as { id: string }).id).toBe(
      (first.structuredContent as { id: string }).id,
    );
    expect(textOf(retried)).toMatch(/^Already queued/);
    expect(await t.db.$count(tasks, eq(tasks.idempotencyKey, key))).toBe(1);

    // Without a key (argument or _meta), each call is a new task, as before.
    const plain = () =>
      client.callTool({ name: 'create_task', arguments: { conversationId, content: 'Twice' } });
    const [a, b] = [await plain(), await plain()];
    expect((a.structuredContent as { id: string }).id).not.toBe((b.structuredContent as { id: string }).id);
  });

  it('queues an agent run with create_task and reads it back with get_task', async () => {
    const client = await connect(service('alice'));
    const created = await client.callTool({
      name: 'create_task',
      arguments: { conversationId, content: 'Summarize the harbour log', idempotencyKey: 'mcp-run-1' },
    });
    expect(created.isError).toBeFalsy();
    const task = created.structuredContent as { id: string; type: string; status: string };
    expect(task).toMatchObject({ type: 'agent-run', status: 'queued' });
    const job = await (await t.producer.queue('agent-run')).getJob(task.id);
    expect(job?.data).toEqual({ taskId: task.id, conversationId });

    const again = await client.callTool({
      name: 'create_task',
      arguments: { conversationId, content: 'Summarize the harbour log', idempotencyKey: 'mcp-run-1' },
    });
    expect((again.structuredContent as { id: string }).id).toBe(task.id);
    expect(await t.db.$count(tasks, eq(tasks.idempotencyKey, 'mcp-run-1'))).toBe(1);

    const read = await client.callTool({ name: 'get_task', arguments: { id: task.id } });
    expect(read.structuredContent).toMatchObject({ id: task.id, status: 'queued', attempts: 0 });
    expect(textOf(read)).toBe(`Task ${task.id} (agent-run): queued`);

    // Another owner's conversation and task do not exist for bob.
    const asBob = await connect(service('bob'));
    const foreign = await asBob.callTool({
      name: 'create_task',
      arguments: { conversationId, content: 'x' },
    });
    expect(foreign).toMatchObject({ isError: true });
    expect(textOf(foreign)).toBe('conversation not found');
    expect(await asBob.callTool({ name: 'get_task', arguments: { id: task.id } })).toMatchObject({
      isError: true,
    });
  });

  it('fails without an owner header: the service token acts for nobody by itself', async () => {
    await expect(connect(service())).rejects.toThrow(/400|x-keelson-owner/);
  });
});

describe('the /mcp endpoint over HTTP', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
  };
  const post = (headers: Record<string, string>, body: unknown = initialize) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('answers 401 problem+json with a Bearer challenge to a missing or invalid token', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }] as Record<string, string>[]) {
      const response = await post(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="keelson"/);
    }
    await expect(connect({ authorization: 'Bearer not-a-token' })).rejects.toThrow(/401/);
  });

  it('answers plain JSON-RPC, with the request id and rate-limit headers of every route', async () => {
    const response = await post({ ...(await t.auth('alice')), 'x-request-id': 'mcp-request-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toBe('mcp-request-1');
    expect(response.headers.get('x-ratelimit-limit')).toBe(t.config.RATE_LIMIT_MAX.toString());
    expect(await response.json()).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      result: { serverInfo: { name: 'keelson' }, capabilities: { tools: expect.any(Object) } },
    });
    const metrics = await t.metricsServer.inject('/metrics');
    expect(metrics.body).toMatch(/route="\/mcp",status_code="200"/);
  });

  it('answers GET and DELETE with 405 and a JSON-RPC error (stateless: no stream, no session)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(url, { method, headers: await t.auth('alice') });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow'), method).toBe('POST');
      expect(await response.json(), method).toEqual({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Method not allowed.' },
        id: null,
      });
    }
  });

  it('refuses a JSON-RPC batch with a JSON-RPC error, running none of its messages', async () => {
    const headers = await t.auth('alice');
    const call = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: {
        name: 'create_task',
        arguments: { conversationId, content: `batched run ${id}`, idempotencyKey: `mcp-batch-${id}` },
      },
    });
    // One message at a time, the limiter counts one request each.
    const single = await post(headers, call(0));
    expect(single.status).toBe(200);
    const before = Number(single.headers.get('x-ratelimit-remaining'));

    const batch = await post(headers, [call(1), call(2), call(3)]);
    expect(batch.status).toBe(400);
    expect(await batch.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32600, message: expect.stringMatching(/batch/i) },
      id: null,
    });
    // No message of the batch ran: not one agent run was queued.
    for (const id of [1, 2, 3]) {
      expect(await t.db.$count(tasks, eq(tasks.idempotencyKey, `mcp-batch-${id}`)), `call ${id}`).toBe(0);
    }
    expect(await t.db.$count(tasks, eq(tasks.idempotencyKey, 'mcp-batch-0'))).toBe(1);
    // The refused batch was one request, and the next single message one more.
    expect(Number(batch.headers.get('x-ratelimit-remaining'))).toBe(before - 1);
    const next = await post(headers, call(4));
    expect(Number(next.headers.get('x-ratelimit-remaining'))).toBe(before - 2);
  });

  it('lets the SDK refuse what is not MCP (406 without the Accept it requires)', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...(await t.auth('alice')), 'content-type': 'application/json', accept: 'text/html' },
      body: JSON.stringify(initialize),
    });
    expect(response.status).toBe(406);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
  });
});

describe('tool permissions', () => {
  /** The tools for a principal holding only `granted`, over the SDK's in-memory transport. */
  async function toolsFor(granted: Permission[]) {
    const stopJob = createJobControl({
      producer: t.producer,
      redis: t.redis,
      prefix: t.prefix,
      logger: silentLogger,
    });
    const server = createMcpServer(
      { kind: 'service', ownerId: 'alice', permissions: new Set(granted) },
      {
        search: createSearchService({ db: t.db, logger: silentLogger }),
        documents: createDocumentsService({
          db: t.db,
          producer: t.producer,
          stopJob,
          logger: silentLogger,
          quotas: { maxDocuments: 1_000, maxStoredBytes: 1024 ** 2 },
        }),
        tasks: createTasksService({
          db: t.db,
          producer: t.producer,
          stopJob,
          runs: createRunsService({ db: t.db, redis: t.redis, prefix: t.prefix, logger: silentLogger }),
          logger: silentLogger,
          limits: { maxDepth: 3, maxOpenPerOwner: 20 },
        }),
      },
      silentLogger,
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'permissions-test', version: '1.0.0' });
    await client.connect(clientSide);
    clients.push(client);
    return client;
  }

  it.each([
    ['search_documents', { query: 'keelson' }, 'search'],
    ['get_document', { id: '00000000-0000-4000-8000-000000000000' }, 'documents:read'],
    ['create_task', { conversationId: '00000000-0000-4000-8000-000000000000', content: 'x' }, 'tasks:write'],
    ['get_task', { id: '00000000-0000-4000-8000-000000000000' }, 'tasks:read'],
  ] as const)('%s requires %s, and says so as a tool error', async (name, args, permission) => {
    const without = await toolsFor([...SERVICE_PERMISSIONS].filter((p) => p !== permission));
    const refused = await without.callTool({ name, arguments: args });
    expect(refused).toMatchObject({ isError: true });
    expect(textOf(refused)).toBe(`This credential does not grant ${permission}.`);

    const allowed = await (await toolsFor([permission])).callTool({ name, arguments: args });
    expect(textOf(allowed)).not.toMatch(/does not grant/);
  });
});
