import { randomUUID } from 'node:crypto';
import { runMigrations } from '@repo/db';
import { script } from '@repo/fake-llm';
import { NOT_MIGRATED_PROBLEM } from '@repo/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAgent, logger, type TestAgent } from './support/test-agent.ts';

/**
 * A new agent instance that starts before the migrations its build ships are applied: what
 * happens on Render, where a private service gets no health check and is deployed
 * independently of the task-runner's pre-deploy migration. The agent itself refuses turns.
 */

let t: TestAgent;

beforeAll(async () => {
  t = await createTestAgent({ migrate: false, responder: script({ text: 'Hello.' }) });
});
afterAll(async () => {
  await t?.close();
});

const post = (url: string, headers = t.headers()) =>
  t.app.inject({ method: 'POST', url, headers, payload: { content: 'hello' } });

describe('an agent whose migrations are not applied yet', () => {
  it('refuses turns and summaries with 503 problem+json and Retry-After, before any model call', async () => {
    for (const url of [
      `/v1/conversations/${randomUUID()}/turns`,
      `/v1/conversations/${randomUUID()}/summarize`,
    ]) {
      const response = await post(url);
      expect(response.statusCode, url).toBe(503);
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(response.headers['retry-after'], url).toBe('5');
      expect(response.json(), url).toMatchObject({ type: NOT_MIGRATED_PROBLEM, status: 503 });
      // The migrations' names stay in the log.
      expect(response.body, url).not.toMatch(/\d{4}_[a-z]/);
    }
    expect(t.fake.requests).toHaveLength(0);
  });

  it('still authenticates first, and its probes answer: alive, not ready', async () => {
    const anonymous = await post(`/v1/conversations/${randomUUID()}/turns`, {});
    expect(anonymous.statusCode).toBe(401);
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    const ready = await t.app.inject('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ database: { ok: false, error: expect.stringMatching(/pending/) } });
  });

  it('serves turns once the migrations are applied, without a restart', async () => {
    await runMigrations({ connectionString: t.config.DATABASE_URL, tls: { mode: 'disable' }, logger });
    const conversationId = await t.conversation();
    const response = await post(`/v1/conversations/${conversationId}/turns`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ reply: { content: 'Hello.' } });
    expect((await t.app.inject('/ready')).statusCode).toBe(200);
  });
});
