import type { DynamicToolUIPart } from 'ai';
import type { components } from '../api/schema.ts';
import type { ChatMessage } from './chat-message.ts';

type Run = components['schemas']['Run'];
type ToolApproval = components['schemas']['ToolApproval'];

/** The run of a conversation that has not ended yet, with its approvals once it waits for them. */
export interface ActiveRun {
  id: string;
  userMessageId: string | null;
  approvals: readonly ToolApproval[];
}

const ACTIVE: ReadonlySet<Run['status']> = new Set(['queued', 'running', 'awaiting_approval']);

/** The conversation's newest run (`GET /v1/conversations/:id/runs` lists newest first), if still going. */
export const isActive = (run: Pick<Run, 'status'>): boolean => ACTIVE.has(run.status);

/**
 * The stored history with the active run's turn made into what `useChat` streamed: the assistant
 * message after the run's user message takes the run's id (the api names the streamed message by
 * its run, and `POST /v1/chat` takes an answered approval only on a message whose id is the run's),
 * so the resume stream (`GET /v1/chat/:id/stream`, replayed from the start) replaces it rather than
 * adding a second answer; and its tool calls waiting for a person (`GET /v1/runs/:id`, `approvals`)
 * become `approval-requested` parts with their approval id, which is what shows the buttons and
 * what `addToolApprovalResponse` answers. A call already decided (another tab, another call of the
 * same step) is `approval-responded`, so deciding the rest sends the step's decisions together.
 */
export function withActiveRun(messages: readonly ChatMessage[], run: ActiveRun): ChatMessage[] {
  const asked = messages.findIndex((message) => message.role === 'user' && message.id === run.userMessageId);
  const turn = asked === -1 ? undefined : messages[asked + 1];
  if (!turn || turn.role !== 'assistant') return [...messages];
  const parts = turn.parts.map((part) => {
    if (part.type !== 'dynamic-tool') return part;
    const approval = run.approvals.find((candidate) => candidate.toolCallId === part.toolCallId);
    return approval ? asApprovalPart(part, approval) : part;
  });
  const replaced: ChatMessage = { ...turn, id: run.id, metadata: { ...turn.metadata, runId: run.id }, parts };
  return messages.map((message, index) => (index === asked + 1 ? replaced : message));
}

/** A stored tool call (no result yet) as the part useChat shows for its approval's decision. */
function asApprovalPart(part: DynamicToolUIPart, approval: ToolApproval): DynamicToolUIPart {
  // A call with a result stays as it is; so does one without an approval id (nothing to answer).
  if (part.state !== 'input-available' || approval.approvalId === null) return part;
  const { type, toolName, toolCallId, input } = part;
  const base = { type, toolName, toolCallId, input } as const;
  switch (approval.decision) {
    case 'pending':
      return { ...base, state: 'approval-requested', approval: { id: approval.approvalId } };
    case 'approved':
    case 'denied':
      return {
        ...base,
        state: 'approval-responded',
        approval: {
          id: approval.approvalId,
          approved: approval.decision === 'approved',
          ...(approval.reason === null ? {} : { reason: approval.reason }),
        },
      };
    case 'expired':
      return { ...base, state: 'output-error', errorText: 'The approval expired: the run ended.' };
  }
}
