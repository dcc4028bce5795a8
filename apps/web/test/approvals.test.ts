import type { DynamicToolUIPart } from 'ai';
import { describe, expect, it } from 'vitest';
import type { components } from '../src/api/schema.ts';
import { isActive, withActiveRun, type ActiveRun } from '../src/conversation/active-run.ts';
import { approvalState } from '../src/conversation/approval-state.ts';
import { storedToChatMessages, type ChatMessage } from '../src/conversation/chat-message.ts';
import { progressOf } from '../src/conversation/tool-calls.tsx';

type ToolApproval = components['schemas']['ToolApproval'];

const RUN = '0b6c1a52-4a8e-4d51-9a3c-1f2e3d4c5b6a';

type Stored = Parameters<typeof storedToChatMessages>[0][number];

const stored = (
  seq: number,
  id: string,
  role: Stored['role'],
  content: string,
  toolCalls: Stored['toolCalls'] = null,
): Stored => ({
  id,
  role,
  content,
  toolCalls,
  toolResults: null,
  createdAt: '2026-01-01T00:00:00Z',
  seq,
  inputTokens: null,
  outputTokens: null,
});

/** A conversation whose second turn paused on create_task: what GET /v1/conversations/:id stores. */
const history = () =>
  storedToChatMessages([
    stored(1, 'u1', 'user', 'hello'),
    stored(2, 'a1', 'assistant', 'Hi.'),
    stored(3, 'u2', 'user', 'queue it'),
    stored(4, 'a2', 'assistant', '', [
      { toolCallId: 'c1', toolName: 'create_task', input: { content: 'later' } },
      { toolCallId: 'c2', toolName: 'search_documents', input: { query: 'x' } },
    ]),
  ]);

const approval = (decision: ToolApproval['decision'], extra: Partial<ToolApproval> = {}): ToolApproval => ({
  toolCallId: 'c1',
  approvalId: 'ap1',
  toolName: 'create_task',
  input: { content: 'later' },
  decision,
  reason: null,
  expiresAt: '2026-01-01T01:00:00Z',
  decidedAt: null,
  ...extra,
});

const run = (approvals: ToolApproval[], userMessageId: string | null = 'u2'): ActiveRun => ({
  id: RUN,
  userMessageId,
  approvals,
});

const tools = (message: ChatMessage | undefined) =>
  (message?.parts ?? []).filter((part): part is DynamicToolUIPart => part.type === 'dynamic-tool');

describe('a conversation reopened while its run waits for approval', () => {
  it('gives the run’s turn the run’s id and shows its pending call as an approval request', () => {
    const messages = withActiveRun(history(), run([approval('pending')]));
    expect(messages.map((message) => message.id)).toEqual(['u1', 'a1', 'u2', RUN]);
    expect(messages[3]!.metadata).toEqual({ runId: RUN });
    const [pending, other] = tools(messages[3]);
    expect(pending).toEqual({
      type: 'dynamic-tool',
      toolName: 'create_task',
      toolCallId: 'c1',
      input: { content: 'later' },
      state: 'approval-requested',
      approval: { id: 'ap1' },
    });
    // A call that needed no approval is left as it was stored.
    expect(other!.state).toBe('input-available');
    expect(approvalState(messages, 'ready')).toEqual({ awaitingApproval: true, decisionFailed: false });
  });

  it('shows a call decided elsewhere as answered, with its reason, so the rest is sent with it', () => {
    const messages = withActiveRun(history(), run([approval('denied', { reason: 'not now' })]));
    expect(tools(messages[3])[0]).toMatchObject({
      state: 'approval-responded',
      approval: { id: 'ap1', approved: false, reason: 'not now' },
    });
    const approved = withActiveRun(history(), run([approval('approved')]));
    expect(tools(approved[3])[0]).toMatchObject({
      state: 'approval-responded',
      approval: { id: 'ap1', approved: true },
    });
    expect(tools(approved[3])[0]!.approval).not.toHaveProperty('reason');
  });

  it('shows an expired approval as failed, and leaves a call without an approval id alone', () => {
    expect(tools(withActiveRun(history(), run([approval('expired')]))[3])[0]).toMatchObject({
      state: 'output-error',
      errorText: 'The approval expired: the run ended.',
    });
    expect(
      tools(withActiveRun(history(), run([approval('pending', { approvalId: null })]))[3])[0]!.state,
    ).toBe('input-available');
  });

  it('changes nothing before the run stored a step, or when its user message is not on the page', () => {
    const asked = history().slice(0, 3);
    expect(withActiveRun(asked, run([]))).toEqual(asked);
    expect(withActiveRun(history(), run([approval('pending')], 'elsewhere'))).toEqual(history());
    expect(withActiveRun(history(), run([approval('pending')], null))).toEqual(history());
  });

  it('names the turn of a run still going by the run, so the resumed stream replaces it', () => {
    const messages = withActiveRun(history(), run([]));
    expect(messages[3]!.id).toBe(RUN);
    expect(tools(messages[3]).map((part) => part.state)).toEqual(['input-available', 'input-available']);
  });

  it('counts queued, running and awaiting_approval as active', () => {
    expect(
      (['queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled'] as const).filter(
        (status) => isActive({ status }),
      ),
    ).toEqual(['queued', 'running', 'awaiting_approval']);
  });
});

describe('the approval state of the chat', () => {
  const answered = withActiveRun(history(), run([approval('pending')])).map((message) =>
    message.id !== RUN
      ? message
      : {
          ...message,
          parts: message.parts.map((part) =>
            part.type === 'dynamic-tool' && part.state === 'approval-requested'
              ? { ...part, state: 'approval-responded' as const, approval: { id: 'ap1', approved: true } }
              : part,
          ),
        },
  );

  it('is not waiting while a request is under way, nor once every call is answered', () => {
    const waiting = withActiveRun(history(), run([approval('pending')]));
    expect(approvalState(waiting, 'streaming').awaitingApproval).toBe(false);
    expect(approvalState(answered, 'ready').awaitingApproval).toBe(false);
    expect(approvalState(history(), 'ready').awaitingApproval).toBe(false);
  });

  it('says the decision failed when the request carrying it failed (409: expired or decided elsewhere)', () => {
    expect(approvalState(answered, 'error')).toEqual({ awaitingApproval: false, decisionFailed: true });
    expect(approvalState(answered, 'submitted').decisionFailed).toBe(false);
    expect(approvalState(history(), 'error').decisionFailed).toBe(false);
  });
});

describe('a tool call’s progress in words', () => {
  const call = (part: Partial<DynamicToolUIPart>) =>
    ({
      type: 'dynamic-tool',
      toolName: 'create_task',
      toolCallId: 'c1',
      input: {},
      ...part,
    }) as DynamicToolUIPart;

  it('follows an approved call: waiting, approved and running, approved and done', () => {
    expect(progressOf(call({ state: 'approval-requested', approval: { id: 'a' } }))).toBe(
      '(waiting for approval)',
    );
    expect(progressOf(call({ state: 'approval-responded', approval: { id: 'a', approved: true } }))).toBe(
      '(approved, running…)',
    );
    expect(
      progressOf(call({ state: 'output-available', output: 1, approval: { id: 'a', approved: true } })),
    ).toBe('(approved, done)');
    expect(progressOf(call({ state: 'output-available', output: 1 }))).toBe('(done)');
  });

  it('says a denied call was denied, and why', () => {
    expect(
      progressOf(call({ state: 'output-denied', approval: { id: 'a', approved: false, reason: 'not now' } })),
    ).toBe('(denied: not now)');
    expect(progressOf(call({ state: 'output-denied', approval: { id: 'a', approved: false } }))).toBe(
      '(denied)',
    );
  });

  it('does not claim a decision is running when its request failed', () => {
    expect(
      progressOf(call({ state: 'approval-responded', approval: { id: 'a', approved: true } }), true),
    ).toBe('(decision not recorded)');
  });
});
