import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { messages, tasks } from '@repo/db';
import { textOf, type Responder } from '@repo/fake-llm';
import { createMetricsRegistry } from '@repo/observability';
import { waitFor } from '@repo/testing';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// The task-runner, built by its own factory on the stack's database and queue prefix: the chain
// of runs goes api → queue → task-runner → agent → model → agent → api's /mcp, as in production.
import { createTaskRunner, type TaskRunner } from '../../task-runner/src/app.ts';
import { loadConfig as loadRunnerConfig } from '../../task-runner/src/config.ts';
import { openConnections, type Connections } from '../../task-runner/src/connections.ts';
import { insertConversation } from './support/fixtures.ts';
import { createTestApp, silentLogger, TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * A model that follows instructions planted in a document can queue an agent run from inside an
 * agent run, and that run the next one. The depth of agent-created runs is capped
 * (AGENT_RUN_MAX_DEPTH), and so is the number of unfinished agent runs an owner may have
 * (AGENT_RUN_MAX_OPEN_PER_OWNER).
 */

const CONVERSATION = /conversation ([0-9a-f-]{36})/;

/** The scripted model, told to keep going: every turn calls create_task for the next one. */
const alwaysQueueAnother: Responder = (request) => {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return { text: `Tool said: ${textOf(last).slice(0, 300)}` };
  const asked = textOf([...request.messages].reverse().find((message) => message.role === 'user'));
  const conversationId = CONVERSATION.exec(asked)?.[1];
  if (!conversationId || !request.tools?.some((tool) => tool.function.name === 'create_task')) {
    return { text: 'No conversation named, nothing to queue.' };
  }
  return {
    toolCalls: [{ name: 'create_task', arguments: { conversationId, content: asked } }],
  };
};

describe('agent runs queueing agent runs', () => {
  const MAX_DEPTH = 2;
  let s: TestStack;
  let runner: TaskRunner;
  let connections: Connections;

  beforeAll(async () => {
    s = await createTestStack({
      apiEnv: { AGENT_RUN_MAX_DEPTH: String(MAX_DEPTH) },
      // The chain of runs is what is tested here: create_task runs without waiting for approval.
      agentEnv: { API_MCP_REQUIRE_APPROVAL: 'none' },
      responder: alwaysQueueAnother,
    });
    const config = loadRunnerConfig({
      NODE_ENV: 'test',
      DATABASE_URL: s.database.url,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: s.api.prefix,
      AGENT_URL: s.agentUrl,
      SERVICE_AUTH_TOKEN: TEST_SERVICE_TOKEN,
      LEADER_POLL_MS: '250',
      SHUTDOWN_TIMEOUT_MS: '5000',
      DATABASE_POOL_MAX: '4',
    });
    connections = openConnections(config, silentLogger, 'api-test-runner');
    runner = createTaskRunner({
      config,
      logger: silentLogger,
      db: connections.db,
      redis: connections.redis,
      metrics: createMetricsRegistry('task-runner', { defaultMetrics: false }),
    });
    await runner.start();
    await waitFor(() => runner.status().phase === 'running' && runner.status().ready, {
      what: 'the task-runner leading',
    });
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await connections?.close();
    await s?.close();
  });

  it(`stop at depth ${MAX_DEPTH}: the run that would go deeper is refused, and says why`, async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    const started = await s.api.app.inject({
      method: 'POST',
      url: '/v1/tasks',
      headers: await s.api.auth('alice'),
      payload: {
        type: 'agent-run',
        input: { conversationId, content: `Keep working in conversation ${conversationId}.` },
      },
    });
    expect(started.statusCode).toBe(202);

    const ofAlice = () =>
      s.api.db
        .select()
        .from(tasks)
        .where(and(eq(tasks.ownerId, 'alice'), eq(tasks.type, 'agent-run')))
        .orderBy(asc(tasks.createdAt));
    // The user's run (depth 0), then one per level down to MAX_DEPTH, each finished.
    const chain = await waitFor(
      async () => {
        const rows = await ofAlice();
        return rows.length === MAX_DEPTH + 1 && rows.every((row) => row.status === 'succeeded')
          ? rows
          : undefined;
      },
      { timeoutMs: 45_000, what: `${MAX_DEPTH + 1} agent runs finished` },
    );
    expect(chain.map((row) => (row.input as { depth?: number }).depth ?? 0)).toEqual([0, 1, 2]);
    // The deepest run's create_task was refused: nothing was queued after it, ever.
    expect(await ofAlice()).toHaveLength(MAX_DEPTH + 1);

    const refusals = await s.api.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.role, 'tool')));
    const results = refusals.flatMap((row) => row.toolResults ?? []);
    expect(results).toHaveLength(MAX_DEPTH + 1);
    expect(results.filter((result) => result.isError)).toEqual([
      expect.objectContaining({
        toolName: 'create_task',
        output: expect.stringMatching(/at most 2 levels deep/),
      }),
    ]);
  }, 60_000);
});

describe('limits on queueing agent runs', () => {
  const MAX_OPEN = 3;
  let t: TestApp;
  let conversationId: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: { AGENT_RUN_MAX_OPEN_PER_OWNER: String(MAX_OPEN), AGENT_RUN_MAX_DEPTH: '2' },
    });
    conversationId = await insertConversation(t.db, 'carol');
    await insertConversation(t.db, 'dave');
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async (
    owner: string,
    content: string,
    headers: Record<string, string> = {},
    conversation = conversationId,
  ) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/tasks',
      headers: { ...(await t.auth(owner)), ...headers },
      payload: { type: 'agent-run', input: { conversationId: conversation, content } },
    });

  it(`lets an owner have at most ${MAX_OPEN} unfinished agent runs, even asked all at once`, async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => create('carol', `run ${i}`)));
    const statuses = responses.map((response) => response.statusCode);
    // Listed with their bodies, so a failure says what else answered (CI once saw two of them).
    expect(
      responses
        .filter((response) => response.statusCode !== 202 && response.statusCode !== 429)
        .map((response) => `${response.statusCode} ${response.body}`),
    ).toEqual([]);
    expect(statuses.filter((status) => status === 202)).toHaveLength(MAX_OPEN);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10 - MAX_OPEN);

    const refused = await create('carol', 'one more');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      type: 'urn:keelson:problem:quota-exceeded',
      detail: expect.stringMatching(/at most 3 agent runs queued or running/i),
      quota: 'open-agent-runs',
      limit: MAX_OPEN,
      used: MAX_OPEN,
      resetsAt: null,
    });
    // Nothing was stored or queued for the refused ones.
    expect(await t.db.$count(tasks, eq(tasks.ownerId, 'carol'))).toBe(MAX_OPEN);
  });

  it('counts per owner, replays a known key, and frees a slot when a run is cancelled', async () => {
    const erin = await insertConversation(t.db, 'erin');
    expect((await create('erin', 'erin is not carol', {}, erin)).statusCode).toBe(202);

    const [open] = await t.db.select().from(tasks).where(eq(tasks.ownerId, 'carol')).limit(1);
    const replay = await create('carol', (open!.input as { content: string }).content);
    expect(replay.statusCode).toBe(429); // no key: a new run, refused

    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/v1/tasks/${open!.id}/cancel`,
      headers: await t.auth('carol'),
    });
    expect(cancelled.statusCode).toBe(200);
    const keyed = await create('carol', 'after a cancel', { 'idempotency-key': 'carol-k1' });
    expect(keyed.statusCode).toBe(202);
    // Full again, but the same key answers the run it created.
    const again = await create('carol', 'after a cancel', { 'idempotency-key': 'carol-k1' });
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('applies over MCP too: create_task says why, as a tool error', async () => {
    const url = new URL(`${await t.app.listen({ host: '127.0.0.1', port: 0 })}/mcp`);
    const client = new Client({ name: 'limits-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(url, { requestInit: { headers: await t.auth('carol') } }),
    );
    try {
      const result = await client.callTool({
        name: 'create_task',
        arguments: { conversationId, content: 'over MCP' },
      });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toMatch(/at most 3 agent runs queued or running/i);
    } finally {
      await client.close();
    }
  });

  describe('the depth of a run queued by an agent run', () => {
    const service = (owner: string, depth?: string) => ({
      authorization: `Bearer ${TEST_SERVICE_TOKEN}`,
      'x-keelson-owner': owner,
      ...(depth === undefined ? {} : { 'x-keelson-run-depth': depth }),
    });
    const asService = (headers: Record<string, string>, content: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/tasks',
        headers,
        payload: { type: 'agent-run', input: { conversationId: daveConversationId, content } },
      });
    let daveConversationId: string;
    beforeAll(async () => {
      daveConversationId = await insertConversation(t.db, 'dave');
    });

    it('is one more than the run that queued it (a conversation turn is depth 0)', async () => {
      const fromTurn = await asService(service('dave'), 'from a conversation turn');
      expect(fromTurn.statusCode).toBe(202);
      expect(fromTurn.json()).toMatchObject({ input: { depth: 1 } });
      const fromRun = await asService(service('dave', '1'), 'from a run at depth 1');
      expect(fromRun.json()).toMatchObject({ input: { depth: 2 } });
    });

    it('is refused beyond AGENT_RUN_MAX_DEPTH', async () => {
      const tooDeep = await asService(service('dave', '2'), 'from a run at depth 2');
      expect(tooDeep.statusCode).toBe(403);
      expect(tooDeep.json()).toMatchObject({
        type: 'urn:keelson:problem:agent-run-too-deep',
        detail: expect.stringMatching(/at most 2 levels deep/),
      });
    });

    it('is a header only the service token may send: a user’s own run is depth 0', async () => {
      const user = await t.app.inject({
        method: 'POST',
        url: '/v1/tasks',
        headers: { ...(await t.auth('dave')), 'x-keelson-run-depth': '99' },
        payload: { type: 'agent-run', input: { conversationId: daveConversationId, content: 'mine' } },
      });
      expect(user.statusCode).toBe(202);
      expect(user.json<{ input: object }>().input).not.toHaveProperty('depth');
    });

    it('answers 400 to a malformed depth from the service token', async () => {
      for (const depth of ['-1', 'deep', '1.5', '1000']) {
        expect((await asService(service('dave', depth), 'bad depth')).statusCode, depth).toBe(400);
      }
    });
  });
});
