import type { ApiClient } from '../api/client.ts';
import { unwrap } from '../api/unwrap.ts';
import { isActive, withActiveRun } from './active-run.ts';
import { storedToChatMessages, type ChatMessage } from './chat-message.ts';

let loads = 0;

/**
 * A conversation as the chat starts from: its stored history (`GET /v1/conversations/:id`) and, when
 * its newest run has not ended, that run's turn as it streamed — its id, and for a run waiting for
 * a person the calls it waits on (`GET /v1/runs/:id`, `approvals`), so a conversation reopened
 * while its run waits shows the Approve and Deny buttons again. `loadedAt` tells one load from the
 * next (the chat restarts on each).
 */
export async function loadConversation(
  api: ApiClient,
  id: string,
): Promise<{ messages: ChatMessage[]; loadedAt: number }> {
  const loadedAt = ++loads;
  const params = { path: { id } };
  const [conversation, runs] = await Promise.all([
    unwrap(api.GET('/v1/conversations/{id}', { params })),
    // Newest first, and at most one run of a conversation is active at a time: the first says.
    api.GET('/v1/conversations/{id}/runs', { params: { ...params, query: { limit: 1 } } }),
  ]);
  const messages = storedToChatMessages(conversation.messages);
  // A token without `runs:read` (403) still reads the history; it could not resume or follow a run.
  if (runs.response.status === 403) return { messages, loadedAt };
  const newest = (await unwrap(Promise.resolve(runs))).items[0];
  if (!newest || !isActive(newest)) return { messages, loadedAt };
  const approvals =
    newest.status === 'awaiting_approval'
      ? (await unwrap(api.GET('/v1/runs/{id}', { params: { path: { id: newest.id } } }))).approvals
      : [];
  return { messages: withActiveRun(messages, { ...newest, approvals }), loadedAt };
}
