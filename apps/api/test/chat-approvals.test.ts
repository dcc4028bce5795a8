import { runs, tasks } from '@repo/db';
import { script } from '@repo/fake-llm';
import { waitFor } from '@repo/testing';
import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  type ChatInit,
  type ChatState,
  type DynamicToolUIPart,
  type UIMessage,
} from 'ai';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessageMetadata } from '../src/chat/ui-message-chunks.ts';
import { insertConversation } from './support/fixtures.ts';
import { createTestStack, type TestStack } from './support/test-stack.ts';

/**
 * Tool approval over the UI message stream, driven by the AI SDK's own chat (AbstractChat, what
 * `useChat` wraps in React): the run's approval request arrives as a tool part in
 * `approval-requested` state, `addToolApprovalResponse` answers it, and
 * `sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses` sends it back —
 * to another api replica here — which records the decision and streams the rest of the run.
 */

type ChatMessage = UIMessage<ChatMessageMetadata>;

/** AbstractChat with its state in a plain object, as a Node program (or a test) keeps it. */
class NodeChat extends AbstractChat<ChatMessage> {
  constructor(init: Omit<ChatInit<ChatMessage>, 'messages'>) {
    const state: ChatState<ChatMessage> = {
      status: 'ready',
      error: undefined,
      messages: [],
      pushMessage: (message) => {
        state.messages = [...state.messages, message];
      },
      popMessage: () => {
        state.messages = state.messages.slice(0, -1);
      },
      replaceMessage: (index, message) => {
        state.messages = state.messages.map((old, i) => (i === index ? message : old));
      },
      snapshot: (thing) => structuredClone(thing),
    };
    super({ ...init, state });
  }
}

let s: TestStack;
let otherUrl: string;
let alice: { authorization: string };

beforeAll(async () => {
  s = await createTestStack();
  otherUrl = await s.replicaUrl();
  alice = await s.api.auth('alice');
});
afterAll(async () => {
  await s?.close();
});

/** The first request goes to one replica, every later one (the approval) to the other. */
function replicaSwitchingFetch(): typeof fetch {
  let calls = 0;
  return (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const target = calls++ === 0 ? url : url.replace(s.apiUrl, otherUrl);
    return fetch(target, init);
  };
}

async function pausedChat(conversationId: string, answerDelayMs = 0) {
  s.fake.requests.length = 0;
  s.fake.setResponder(
    script(
      { toolCalls: [{ name: 'create_task', arguments: { conversationId, content: 'later, please' } }] },
      { text: 'Handled.', delayMs: answerDelayMs },
    ),
  );
  const chat = new NodeChat({
    id: conversationId,
    transport: new DefaultChatTransport<ChatMessage>({
      api: `${s.apiUrl}/v1/chat`,
      headers: alice,
      fetch: replicaSwitchingFetch(),
    }),
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
  });
  await chat.sendMessage({ text: 'queue something' });
  const paused = chat.lastMessage!;
  const tool = paused.parts.find((part): part is DynamicToolUIPart => part.type === 'dynamic-tool');
  return { chat, paused, tool: tool! };
}

const tasksOf = (conversationId: string) =>
  s.api.db
    .select()
    .from(tasks)
    .where(sql`${tasks.input}->>'conversationId' = ${conversationId}`);

const textOf = (message: ChatMessage) =>
  message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

describe('tool approval with useChat (the AI SDK chat)', () => {
  it('shows the approval request, and an approval runs the tool once and finishes the same message', async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    const { chat, paused, tool } = await pausedChat(conversationId);
    expect(paused.role).toBe('assistant');
    expect(tool).toMatchObject({
      toolName: 'create_task',
      state: 'approval-requested',
      input: { conversationId, content: 'later, please' },
      approval: { id: expect.any(String) },
    });
    const runId = paused.metadata!.runId;
    expect(paused.id).toBe(runId);
    const [waiting] = await s.api.db.select().from(runs).where(eq(runs.id, runId));
    expect(waiting!.status).toBe('awaiting_approval');

    await chat.addToolApprovalResponse({ id: tool.approval!.id, approved: true });
    await waitFor(() => chat.status === 'ready' && textOf(chat.lastMessage!) === 'Handled.', {
      what: 'the continued run to finish in the chat',
    });

    expect(chat.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    const finished = chat.lastMessage!;
    expect(finished.id).toBe(runId);
    expect(finished.parts.find((part) => part.type === 'dynamic-tool')).toMatchObject({
      state: 'output-available',
    });
    expect(await tasksOf(conversationId)).toHaveLength(1);
    const [row] = await s.api.db.select().from(runs).where(eq(runs.id, runId));
    expect(row!.status).toBe('succeeded');
  });

  it('denies with a reason: the model is told, nothing is queued, the tool part shows the denial', async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    const { chat, tool } = await pausedChat(conversationId);
    await chat.addToolApprovalResponse({ id: tool.approval!.id, approved: false, reason: 'not now' });
    await waitFor(() => chat.status === 'ready' && textOf(chat.lastMessage!) === 'Handled.', {
      what: 'the continued run to finish in the chat',
    });
    expect(chat.lastMessage!.parts.find((part) => part.type === 'dynamic-tool')).toMatchObject({
      state: 'output-denied',
    });
    expect(await tasksOf(conversationId)).toEqual([]);
    expect(JSON.stringify(s.fake.requests[1]!.messages.at(-1))).toContain('not now');
  });

  it('resumes a paused run asking for the decision, and a run approved meanwhile without asking again', async () => {
    const conversationId = await insertConversation(s.api.db, 'alice');
    // The model answers slowly after the decision, so the approved run is still going when resumed.
    const { paused, tool } = await pausedChat(conversationId, 3_000);
    const runId = paused.metadata!.runId;
    /** GET /v1/chat/:id/stream, read to its end: the chunks' types. */
    const resumed = async () => {
      const response = await fetch(`${s.apiUrl}/v1/chat/${conversationId}/stream`, { headers: alice });
      expect(response.status).toBe(200);
      return [...(await response.text()).matchAll(/^data: (\{.*\})$/gm)].map(
        ([, json]) => (JSON.parse(json!) as { type: string }).type,
      );
    };

    const whilePaused = await resumed();
    expect(whilePaused).toContain('tool-approval-request');
    expect(whilePaused.at(-1)).toBe('finish');

    const decided = await fetch(`${s.apiUrl}/v1/runs/${runId}/approvals`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ decisions: [{ toolCallId: tool.toolCallId, approved: true }] }),
    });
    expect(decided.status).toBeLessThan(300);
    await waitFor(
      async () => {
        const [row] = await s.api.db.select().from(runs).where(eq(runs.id, runId));
        return row!.status === 'running';
      },
      { what: 'the approved run to go on' },
    );

    const afterApproval = await resumed();
    expect(afterApproval).not.toContain('tool-approval-request');
    expect(afterApproval).toContain('tool-output-available');
    expect(afterApproval).toContain('text-delta');
    expect(afterApproval.at(-1)).toBe('finish');
    const [row] = await s.api.db.select().from(runs).where(eq(runs.id, runId));
    expect(row!.status).toBe('succeeded');
  });
});
