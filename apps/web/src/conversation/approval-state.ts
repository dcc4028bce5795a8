import type { ChatStatus } from 'ai';
import type { ChatMessage } from './chat-message.ts';

/**
 * What the chat's last message says about approvals: `awaitingApproval` while a tool call of it
 * waits for a person (nothing streams; a new message would be refused, 409 run-active), and
 * `decisionFailed` when the request carrying a decision failed (the api answers 409 when the
 * approval expired or was decided elsewhere), so its calls are not "running" after all.
 */
export function approvalState(
  messages: readonly ChatMessage[],
  status: ChatStatus,
): { awaitingApproval: boolean; decisionFailed: boolean } {
  const last = messages.at(-1);
  const states = new Set(
    last?.role === 'assistant'
      ? last.parts.flatMap((part) => (part.type === 'dynamic-tool' ? [part.state] : []))
      : [],
  );
  const idle = status === 'ready' || status === 'error';
  return {
    awaitingApproval: idle && states.has('approval-requested'),
    decisionFailed: status === 'error' && states.has('approval-responded'),
  };
}
