import { useChat } from '@ai-sdk/react';
import {
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  type DynamicToolUIPart,
} from 'ai';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { describeError } from '../api/client.ts';
import { useSession } from '../auth/session.tsx';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { useResource } from '../components/use-resource.ts';
import { approvalState } from './approval-state.ts';
import { describeChatError, textOf, type ChatMessage } from './chat-message.ts';
import { loadConversation } from './load-conversation.ts';
import { ToolCalls, type ApprovalDecision } from './tool-calls.tsx';

/**
 * One conversation: its stored history first (with its active run's turn as it streamed, approval
 * requests included), then the chat on top of it. "Reload" loads it again and starts a new chat.
 */
export function ConversationView({ conversationId }: { conversationId: string }) {
  const { api } = useSession();
  const { resource, reload } = useResource(() => loadConversation(api, conversationId));
  if (resource.state === 'loading') return <Loading what="messages" />;
  if (resource.state === 'failed')
    return <ErrorMessage message={`Could not load messages: ${resource.message}`} />;
  return (
    <Chat
      // Each load is a new chat: useChat takes its messages once, when it starts.
      key={resource.data.loadedAt}
      conversationId={conversationId}
      initialMessages={resource.data.messages}
      onReload={reload}
    />
  );
}

/**
 * The AI SDK's `useChat` against the api's UI message stream (`POST /v1/chat`): the answer streams
 * in with its tool calls (`dynamic-tool` parts: the agent's tools come from MCP), `resume: true`
 * picks up a run still going when the page opens (`GET /v1/chat/:id/stream`, which replays it from
 * its start), and Stop cancels the run itself (`POST /v1/runs/:id/cancel`), not just this request:
 * a run outlives the request that started it.
 */
function Chat({
  conversationId,
  initialMessages,
  onReload,
}: {
  conversationId: string;
  initialMessages: ChatMessage[];
  onReload: () => void;
}) {
  const { api, fetch } = useSession();
  // The run's id arrives as a response header before any chunk: Stop works from the first moment.
  const runFromHeader = useRef<string | undefined>(undefined);
  const transport = useMemo(
    () =>
      new DefaultChatTransport<ChatMessage>({
        api: `${window.location.origin}/v1/chat`,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          runFromHeader.current = response.headers.get('x-keelson-run-id') ?? runFromHeader.current;
          return response;
        },
        // The server keeps the history: only the new message needs to travel.
        prepareSendMessagesRequest: ({ id, messages, trigger, messageId }) => ({
          body: { id, messages: messages.slice(-1), trigger, messageId },
        }),
      }),
    [fetch],
  );
  const { messages, sendMessage, status, error, stop, clearError, addToolApprovalResponse } =
    useChat<ChatMessage>({
      id: conversationId,
      messages: initialMessages,
      transport,
      resume: true,
      // Once every approval request of the step is answered, the assistant message goes back to
      // POST /v1/chat, which records the decisions and streams the rest of the run into it.
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    });
  const [draft, setDraft] = useState('');
  const [stopState, setStopState] = useState<
    { state: 'stopping' | 'stopped' } | { state: 'failed'; message: string }
  >();

  const busy = status === 'submitted' || status === 'streaming';
  const { awaitingApproval, decisionFailed } = approvalState(messages, status);
  if (!busy && stopState?.state === 'stopping') setStopState({ state: 'stopped' });

  function send(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    if (text === '' || busy || awaitingApproval) return;
    setDraft('');
    setStopState(undefined);
    clearError();
    runFromHeader.current = undefined;
    void sendMessage({ text });
  }

  function decide({ approvalId, approved, reason }: ApprovalDecision) {
    setStopState(undefined);
    clearError();
    void addToolApprovalResponse({ id: approvalId, approved, reason });
  }

  async function stopRun() {
    const last = messages.at(-1);
    const runId = (last?.role === 'assistant' ? last.metadata?.runId : undefined) ?? runFromHeader.current;
    setStopState({ state: 'stopping' });
    if (runId === undefined) {
      // No answer yet, so no run to name: closing the request is all there is to do.
      await stop();
      return;
    }
    // The stream then ends with the api's `abort` chunk, keeping the partial answer on screen.
    const { error: problem } = await api.POST('/v1/runs/{id}/cancel', { params: { path: { id: runId } } });
    if (problem) {
      setStopState({ state: 'failed', message: `Could not stop the run: ${describeError(problem)}` });
      await stop();
    }
  }

  return (
    <article aria-label="Conversation" aria-busy={busy} className="conversation">
      <ol className="messages" aria-label="Messages">
        {messages.map((message, index) => (
          <li key={message.id} className={`message message-${message.role}`}>
            <span className="role">{message.role === 'user' ? 'You' : 'Agent'}</span>
            <ToolCalls
              calls={message.parts.filter((part): part is DynamicToolUIPart => part.type === 'dynamic-tool')}
              onDecide={decide}
              canDecide={!busy}
              decisionFailed={decisionFailed && index === messages.length - 1}
            />
            <p data-testid={message.role === 'assistant' ? 'answer' : undefined}>
              {textOf(message) || (busy && index === messages.length - 1 ? '…' : '')}
            </p>
          </li>
        ))}
        {status === 'submitted' && (
          <li className="message message-assistant">
            <span className="role">Agent</span>
            <p>…</p>
          </li>
        )}
      </ol>
      <p role="status" className="muted">
        {busy
          ? 'The agent is answering…'
          : awaitingApproval
            ? 'The agent waits for your approval.'
            : stopState?.state === 'stopped'
              ? 'Stopped.'
              : ''}
      </p>
      {error && !decisionFailed && <ErrorMessage message={describeChatError(error)} />}
      {error && decisionFailed && (
        // A 409: the approval expired, or the call was decided elsewhere (another tab, the api).
        <div role="alert" className="error">
          <p>Your decision was not recorded: {describeChatError(error)}</p>
          <button type="button" onClick={onReload}>
            Reload the conversation
          </button>
        </div>
      )}
      {stopState?.state === 'failed' && <ErrorMessage message={stopState.message} />}
      <form onSubmit={send} className="composer">
        <label htmlFor="message">Message</label>
        <textarea
          id="message"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            // Enter sends, Shift+Enter adds a line (the usual chat convention).
            if (event.key === 'Enter' && !event.shiftKey) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
          rows={2}
          disabled={busy}
        />
        <button type="submit" disabled={busy || awaitingApproval}>
          Send
        </button>
        <button
          type="button"
          onClick={() => void stopRun()}
          disabled={!busy || stopState?.state === 'stopping'}
        >
          Stop
        </button>
      </form>
    </article>
  );
}
