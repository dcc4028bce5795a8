import { conversations, messages } from '@repo/db';
import { script, textOf } from '@repo/fake-llm';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAgent, type TestAgent } from './support/test-agent.ts';

let t: TestAgent;
beforeAll(async () => {
  // A small budget: a few turns of this conversation fill it.
  t = await createTestAgent({ env: { AGENT_TOKEN_BUDGET: '600', AGENT_SYSTEM_PROMPT: 'You are terse.' } });
});
afterAll(async () => {
  await t?.close();
});

const say = (id: string, content: string) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/conversations/${id}/turns`,
    headers: t.headers(),
    payload: { content },
  });

describe('conversation memory', () => {
  it("stores a turn's output and moves the conversation's latest activity, in one statement", async () => {
    const id = await t.conversation();
    const updatedAt = async () =>
      (await t.db.select().from(conversations).where(eq(conversations.id, id)))[0]!.updatedAt;
    const before = await updatedAt();
    t.fake.setResponder(script({ text: 'Stored.' }));
    expect((await say(id, 'Remember this.')).statusCode).toBe(200);
    const stored = await t.db.select().from(messages).where(eq(messages.conversationId, id));
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Remember this.'],
      ['assistant', 'Stored.'],
    ]);
    expect((await updatedAt()).getTime()).toBeGreaterThan(before.getTime());
  });

  it('sends only the newest turns that fit the budget, asks for a summary, and uses it once written', async () => {
    const id = await t.conversation();
    t.fake.setResponder((request) => ({ text: `Noted: ${textOf(request.messages.at(-1)).slice(0, 40)}` }));
    for (let i = 0; i < 12; i++) {
      const response = await say(
        id,
        `Fact ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(4)}`,
      );
      expect(response.statusCode).toBe(200);
    }

    // The last request carried the system prompt and only the newest turns, within the budget.
    const last = t.fake.requests.at(-1)!;
    const userTurns = last.messages.filter((m) => m.role === 'user').map((m) => textOf(m));
    expect(userTurns.length).toBeLessThan(12);
    expect(userTurns.at(-1)).toMatch(/^Fact 11:/);
    expect(userTurns[0]).not.toMatch(/^Fact 0:/);
    expect(t.summaryRequests).toContain(id);

    // The summarize job's call: the dropped turns are folded into the running summary.
    t.fake.setResponder(script({ text: 'The user listed facts 0 to 8 about a fox.' }));
    const summarized = await t.app.inject({
      method: 'POST',
      url: `/v1/conversations/${id}/summarize`,
      headers: t.headers(),
    });
    expect(summarized.statusCode).toBe(200);
    expect(summarized.json()).toMatchObject({ status: 'summarized' });
    const summaryRequest = t.fake.requests.at(-1)!;
    expect(textOf(summaryRequest.messages.at(-1))).toMatch(/Fact 0:/);

    const [conversation] = await t.db.select().from(conversations).where(eq(conversations.id, id));
    expect(conversation?.summary).toBe('The user listed facts 0 to 8 about a fox.');
    expect(conversation?.summarizedThroughSeq).toBe(summarized.json().summarizedThroughSeq);

    // Nothing left to fold: a second run is a no-op.
    expect(
      (
        await t.app.inject({ method: 'POST', url: `/v1/conversations/${id}/summarize`, headers: t.headers() })
      ).json(),
    ).toEqual({
      status: 'up-to-date',
    });

    // The next turn carries the summary in its system message; the folded turns are not resent.
    t.fake.setResponder(script({ text: 'ok' }));
    await say(id, 'What do you remember?');
    const next = t.fake.requests.at(-1)!;
    expect(textOf(next.messages[0])).toContain('The user listed facts 0 to 8 about a fox.');
    expect(next.messages.some((m) => textOf(m).startsWith('Fact 0:'))).toBe(false);
    // Every message is still stored.
    expect(await t.db.$count(messages, eq(messages.conversationId, id))).toBe(2 * 13);
  });
});
