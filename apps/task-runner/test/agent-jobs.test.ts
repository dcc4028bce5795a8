import { conversations, messages, runMigrations, runs, tasks } from '@repo/db';
import { script } from '@repo/fake-llm';
import { waitFor } from '@repo/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentService, type TestAgentService } from './support/test-agent-service.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';
import { createTestRunner, silentLogger, type TestRunner } from './support/test-runner.ts';

let stack: TestStack;
let t: TestRunner;
let agent: TestAgentService;

beforeAll(async () => {
  stack = await createTestStack('agent-jobs');
  await runMigrations({
    connectionString: stack.database.url,
    tls: { mode: 'disable' },
    logger: silentLogger,
  });
  agent = await startAgentService(stack.database.url, stack.redisUrl, { prefix: stack.prefix });
  t = await createTestRunner({ stack, env: { AGENT_URL: agent.url, SERVICE_AUTH_TOKEN: agent.token } });
  await t.startLeading();
}, 60_000);
afterAll(async () => {
  await t?.close();
  await agent?.close();
  await stack?.close();
});

/** An agent-run task of `ownerId` in `conversationId` (whoever owns it), queued as the api queues it. */
async function enqueueAgentRun(ownerId: string, conversationId: string, content: string) {
  const [task] = await t.db
    .insert(tasks)
    .values({ ownerId, type: 'agent-run', input: { conversationId, content } })
    .returning();
  await t.producer.enqueue('agent-run', { taskId: task!.id, conversationId }, { jobId: task!.id });
  return task!.id;
}

async function agentRunTask(ownerId: string, content: string) {
  const [conversation] = await t.db
    .insert(conversations)
    .values({ ownerId, title: 'background' })
    .returning();
  return {
    taskId: await enqueueAgentRun(ownerId, conversation!.id, content),
    conversationId: conversation!.id,
  };
}

const finished = (taskId: string) =>
  waitFor(
    async () => {
      const task = await t.task(taskId);
      return task && ['succeeded', 'failed', 'cancelled'].includes(task.status) ? task : undefined;
    },
    { timeoutMs: 30_000, what: 'task finished' },
  );

describe('agent-run jobs', () => {
  it('run a turn through the agent: the reply lands on the task and in the conversation', async () => {
    agent.fake.setResponder(script({ text: 'Background answer.' }));
    const { taskId, conversationId } = await agentRunTask('alice', 'Summarize my week');
    const task = await finished(taskId);
    expect(task).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      result: { conversationId, reply: 'Background answer.' },
    });

    const stored = await t.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(asc(messages.seq));
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Summarize my week'],
      ['assistant', 'Background answer.'],
    ]);
    expect(stored[0]!.idempotencyKey).toBe(`task-${taskId}`);
    // The turn was a run of the agent, recorded as this task's.
    const runId = (task.result as { runId: string }).runId;
    const [run] = await t.db.select().from(runs).where(eq(runs.id, runId));
    expect(run).toMatchObject({ taskId, status: 'succeeded', userMessageId: stored[0]!.id });
  });

  it('retry a provider failure with backoff and store the message once', async () => {
    let calls = 0;
    agent.fake.setResponder(() =>
      calls++ === 0 ? { error: { status: 503, message: 'overloaded' } } : { text: 'Second time lucky.' },
    );
    const { taskId, conversationId } = await agentRunTask('alice', 'Try twice');
    const task = await finished(taskId);
    expect(task).toMatchObject({ status: 'succeeded', attempts: 2, result: { reply: 'Second time lucky.' } });
    const users = await t.db.select().from(messages).where(eq(messages.conversationId, conversationId));
    expect(users.filter((m) => m.role === 'user')).toHaveLength(1);
  }, 40_000);

  it("never store the provider's error text in the task: it may quote the API key", async () => {
    let calls = 0;
    const leak = 'Incorrect API key provided: sk-proj-Zx98LeakedFragment0123';
    agent.fake.setResponder(() =>
      calls++ === 0 ? { error: { status: 401, message: leak } } : { text: 'Fixed key, fine answer.' },
    );
    const { taskId } = await agentRunTask('alice', 'Anything');
    // After the first attempt the task waits for its retry, with the attempt's error recorded.
    const failedOnce = await waitFor(
      async () => {
        const task = await t.task(taskId);
        return task?.error ? task : undefined;
      },
      { timeoutMs: 20_000, what: 'the first attempt failed' },
    );
    expect(failedOnce.error).toMatch(
      /^agent answered 502: The model provider failed; .*quote the request id\. \(agent request [\w-]+\)$/,
    );
    expect(failedOnce.error).not.toMatch(/sk-proj|Incorrect API key/);
    expect(await finished(taskId)).toMatchObject({ status: 'succeeded', error: null });
  }, 40_000);

  it('retry while another run of the conversation is active (409 run-active), then run', async () => {
    agent.fake.setResponder(() => ({ text: 'My turn now.' }));
    const [conversation] = await t.db
      .insert(conversations)
      .values({ ownerId: 'alice', title: 'busy' })
      .returning();
    // The run that queued this task, still finishing its last step.
    const [active] = await t.db
      .insert(runs)
      .values({
        ownerId: 'alice',
        conversationId: conversation!.id,
        status: 'running',
        provider: 'openai',
        model: 'scripted',
        leaseOwner: 'elsewhere',
        leaseExpiresAt: new Date(Date.now() + 60_000),
        startedAt: new Date(),
      })
      .returning();
    const taskId = await enqueueAgentRun('alice', conversation!.id, 'after you');
    const refused = await waitFor(
      async () => {
        const row = await t.task(taskId);
        return row?.error ? row : undefined;
      },
      { timeoutMs: 20_000, what: 'the first attempt refused' },
    );
    expect(refused).toMatchObject({ status: expect.not.stringMatching(/failed/) });
    expect(refused.error).toMatch(/agent answered 409/);
    await t.db
      .update(runs)
      .set({ status: 'succeeded', finishedAt: new Date() })
      .where(eq(runs.id, active!.id));
    expect(await finished(taskId)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      result: { reply: 'My turn now.' },
    });
  }, 40_000);

  it("fail at once, without retries, when the agent refuses (another owner's conversation)", async () => {
    const [conversation] = await t.db
      .insert(conversations)
      .values({ ownerId: 'bob', title: 'not yours' })
      .returning();
    const done = await finished(await enqueueAgentRun('alice', conversation!.id, 'peek'));
    expect(done).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: expect.stringMatching(/agent answered 404/),
    });
  });
});

describe('summarize-conversation jobs', () => {
  it('ask the agent to fold old turns into the running summary', async () => {
    const [conversation] = await t.db
      .insert(conversations)
      .values({ ownerId: 'carol', title: 'long' })
      .returning();
    // More history than the agent's default 8000-token budget holds.
    const long = 'lorem ipsum dolor sit amet '.repeat(300);
    await t.db.insert(messages).values(
      Array.from({ length: 12 }, (_, i) => ({
        conversationId: conversation!.id,
        role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
        content: `${i}: ${long}`,
        tokenCount: 1_500,
      })),
    );
    agent.fake.setResponder(script({ text: 'Carol talked at length in Latin.' }));
    await t.producer.enqueue(
      'summarize-conversation',
      { ownerId: 'carol', conversationId: conversation!.id },
      { deduplicationId: conversation!.id },
    );
    const summarized = await waitFor(async () => {
      const [row] = await t.db.select().from(conversations).where(eq(conversations.id, conversation!.id));
      return row?.summary ? row : undefined;
    });
    expect(summarized.summary).toBe('Carol talked at length in Latin.');
    expect(summarized.summarizedThroughSeq).toBeGreaterThan(0);
  });
});
