import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { conversations, runMigrations, runs } from '@repo/db';
import { script, startFakeLlm, type FakeLlm } from '@repo/fake-llm';
import { createRunFeed, type RunEvent } from '@repo/runs';
import { createRedis } from '@repo/queue';
import { freePort, waitFor } from '@repo/testing';
import { eq } from 'drizzle-orm';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_SERVICE_TOKEN } from '../../agent/src/config.ts';
import { createTestRunner, silentLogger, type TestRunner } from './support/test-runner.ts';

const AGENT_DIR = fileURLToPath(new URL('../../agent', import.meta.url));
const LEASE_MS = 3_000;
const REAPER_MS = 1_000;

let t: TestRunner;
let fake: FakeLlm;
let agent: ChildProcess | undefined;

beforeAll(async () => {
  t = await createTestRunner({ env: { RUN_REAPER_INTERVAL_MS: String(REAPER_MS) } });
  await runMigrations({ connectionString: t.database.url, tls: { mode: 'disable' }, logger: silentLogger });
  await t.startLeading();
  fake = await startFakeLlm({ responder: script({ text: 'word '.repeat(2_000), chunkDelayMs: 20 }) });
}, 60_000);
afterAll(async () => {
  agent?.kill('SIGKILL');
  await fake?.close();
  await t?.close();
});

/** The agent as a process of its own (`node src/main.ts`, as `pnpm dev` runs it), to be killed. */
async function spawnAgent(): Promise<string> {
  const port = await freePort();
  agent = spawn(process.execPath, ['--conditions=@repo/source', 'src/main.ts'], {
    cwd: AGENT_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      NODE_COMPILE_CACHE: `${tmpdir()}/keelson-agent-compile-cache`,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: t.database.url,
      REDIS_URL: t.redisUrl,
      QUEUE_PREFIX: t.prefix,
      SERVICE_AUTH_TOKEN: DEVELOPMENT_SERVICE_TOKEN,
      AGENT_MODEL: 'openai-compatible:fake-model',
      OPENAI_COMPATIBLE_BASE_URL: fake.url,
      RUN_LEASE_MS: String(LEASE_MS),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () =>
      (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined))?.ok,
    { timeoutMs: 60_000, what: 'the agent process ready' },
  );
  return url;
}

describe('an agent killed in the middle of a run', () => {
  it('leaves no run `running`: the reaper fails it within lease + reaper interval, with a final event followers see', async () => {
    const url = await spawnAgent();
    const [conversation] = await t.db
      .insert(conversations)
      .values({ ownerId: 'alice', title: 'doomed' })
      .returning({ id: conversations.id });
    const response = await fetch(`${url}/v1/conversations/${conversation!.id}/turns`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${DEVELOPMENT_SERVICE_TOKEN}`,
        'x-keelson-owner': 'alice',
        accept: 'text/event-stream',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ content: 'talk until you are stopped' }),
    });
    const runId = response.headers.get('x-keelson-run-id')!;

    // Read until the run has stored some events (a flush happened), then kill -9 the agent.
    let lastSeen = 0;
    let killedAt = 0;
    const messages = response
      .body!.pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    try {
      for await (const message of messages) {
        lastSeen = Number(message.id);
        if (lastSeen >= 30 && !killedAt) {
          agent!.kill('SIGKILL');
          killedAt = performance.now();
        }
      }
    } catch {
      // the connection died with the agent
    }
    expect(killedAt).toBeGreaterThan(0);

    // A follower elsewhere (an api replica) sees the run end.
    const subscriber = createRedis(t.redisUrl, 'worker', 'reaper-test-follower');
    const feed = createRunFeed({
      db: t.db,
      redis: t.connections.redis.queue,
      subscriber,
      prefix: t.prefix,
    });
    try {
      const followed: RunEvent[] = [];
      for await (const event of feed.follow(runId, lastSeen)) followed.push(event);
      const reapedAfterMs = performance.now() - killedAt;
      const final = followed.at(-1)!;
      expect(final).toMatchObject({ type: 'error', data: { code: 'agent-lost', runId } });
      expect(final.seq).toBeGreaterThan(lastSeen);
      const [run] = await t.db.select().from(runs).where(eq(runs.id, runId));
      expect(run).toMatchObject({ status: 'failed', errorCode: 'agent-lost', lastSeq: final.seq });
      // The documented bound: RUN_LEASE_MS + RUN_REAPER_INTERVAL_MS (plus a pass's own time).
      expect(reapedAfterMs).toBeLessThan(LEASE_MS + REAPER_MS + 3_000);
      expect(await t.db.$count(runs, eq(runs.status, 'running'))).toBe(0);
    } finally {
      feed.close();
      subscriber.disconnect();
    }
  }, 120_000);
});
