import { useRef, useState, type FormEvent } from 'react';
import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { useResource } from '../components/use-resource.ts';
import { streamTurn } from './stream-turn.ts';
import { applyTurnEvent, emptyTurn, type TurnView } from './turn-events.ts';
import { ToolCalls } from './tool-calls.tsx';

/** One conversation: its stored messages, the turn streaming now, and the message box. */
export function ConversationView({ conversationId }: { conversationId: string }) {
  const { api } = useSession();
  const { resource, reload } = useResource(() =>
    unwrap(api.GET('/v1/conversations/{id}', { params: { path: { id: conversationId } } })),
  );
  const [draft, setDraft] = useState('');
  const [question, setQuestion] = useState<string>();
  const [turn, setTurn] = useState<TurnView>();
  const stop = useRef<AbortController | undefined>(undefined);

  async function send(event: FormEvent) {
    event.preventDefault();
    const content = draft.trim();
    if (content === '') return;
    const controller = new AbortController();
    stop.current = controller;
    setDraft('');
    setQuestion(content);
    setTurn(emptyTurn());
    try {
      await streamTurn({
        api,
        conversationId,
        content,
        signal: controller.signal,
        onEvent: (turnEvent) => setTurn((current) => applyTurnEvent(current ?? emptyTurn(), turnEvent)),
      });
      setTurn((current) => (current?.status === 'streaming' ? { ...current, status: 'done' } : current));
    } catch (error) {
      setTurn((current) => ({
        ...(current ?? emptyTurn()),
        ...(controller.signal.aborted
          ? { status: 'stopped' as const }
          : { status: 'failed' as const, error: error instanceof Error ? error.message : String(error) }),
      }));
    } finally {
      stop.current = undefined;
    }
  }

  const streaming = turn?.status === 'streaming';
  return (
    <article aria-label="Conversation" className="conversation">
      {resource.state === 'loading' && <Loading what="messages" />}
      {resource.state === 'failed' && (
        <ErrorMessage message={`Could not load messages: ${resource.message}`} />
      )}
      {resource.state === 'loaded' && (
        <ol className="messages" aria-label="Messages">
          {resource.data.messages
            .filter((message) => message.role === 'user' || message.role === 'assistant')
            .map((message) => (
              <li key={message.id} className={`message message-${message.role}`}>
                <span className="role">{message.role === 'user' ? 'You' : 'Agent'}</span>
                <p>{message.content}</p>
                {message.toolCalls && message.toolCalls.length > 0 && <ToolCalls calls={message.toolCalls} />}
              </li>
            ))}
        </ol>
      )}
      {turn && (
        <section aria-label="Current turn" aria-busy={streaming} className="turn">
          <p className="message message-user">
            <span className="role">You</span> {question}
          </p>
          <ToolCalls calls={turn.toolCalls} />
          <div className="message message-assistant" aria-live="polite" data-testid="answer">
            <span className="role">Agent</span>
            <p>{turn.text || (streaming ? '…' : '')}</p>
          </div>
          {turn.status === 'failed' && <ErrorMessage message={turn.error ?? 'The turn failed.'} />}
          {turn.status === 'stopped' && <p role="status">Stopped.</p>}
          {turn.status === 'done' && (
            <button type="button" className="link" onClick={reload}>
              Refresh history
            </button>
          )}
        </section>
      )}
      <form onSubmit={(event) => void send(event)} className="composer">
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
          disabled={streaming}
        />
        <button type="submit" disabled={streaming}>
          Send
        </button>
        <button type="button" onClick={() => stop.current?.abort()} disabled={!streaming}>
          Stop
        </button>
      </form>
    </article>
  );
}
