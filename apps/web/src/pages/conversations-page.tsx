import { useState } from 'react';
import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { Empty, ErrorMessage, Loading } from '../components/status.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { PAGE_SIZE, usePagedResource } from '../components/use-paged-resource.ts';
import { ConversationView } from '../conversation/conversation-view.tsx';

/** The owner's conversations on the left, the chosen one on the right. */
export function ConversationsPage() {
  const { api } = useSession();
  const { resource, reload, loadMore, loadingMore, loadMoreError } = usePagedResource((cursor) =>
    unwrap(api.GET('/v1/conversations', { params: { query: { limit: PAGE_SIZE, cursor } } })),
  );
  const [selected, setSelected] = useState<string>();
  const [error, setError] = useState<string>();

  async function create() {
    setError(undefined);
    try {
      const conversation = await unwrap(api.POST('/v1/conversations', { body: {} }));
      setSelected(conversation.id);
      reload();
    } catch (failure) {
      setError(
        `Could not start a conversation: ${failure instanceof Error ? failure.message : String(failure)}`,
      );
    }
  }

  return (
    <section aria-labelledby="conversations-heading" className="split">
      <nav aria-labelledby="conversations-heading">
        <h1 id="conversations-heading">Conversations</h1>
        <button type="button" onClick={() => void create()}>
          New conversation
        </button>
        {error && <ErrorMessage message={error} />}
        {resource.state === 'loading' && <Loading what="conversations" />}
        {resource.state === 'failed' && (
          <ErrorMessage message={`Could not load conversations: ${resource.message}`} />
        )}
        {resource.state === 'loaded' &&
          (resource.data.items.length === 0 ? (
            <Empty>No conversations yet.</Empty>
          ) : (
            <>
              <ul className="plain">
                {resource.data.items.map((conversation) => (
                  <li key={conversation.id}>
                    <button
                      type="button"
                      className="link"
                      aria-current={conversation.id === selected ? 'true' : undefined}
                      onClick={() => setSelected(conversation.id)}
                    >
                      {conversation.title}
                    </button>
                  </li>
                ))}
              </ul>
              <LoadMore
                shown={resource.data.items.length}
                what="conversations"
                hasMore={resource.data.nextCursor !== null}
                busy={loadingMore}
                error={loadMoreError}
                onLoadMore={loadMore}
              />
            </>
          ))}
      </nav>
      {selected ? (
        <ConversationView key={selected} conversationId={selected} />
      ) : (
        <Empty>Choose a conversation or start a new one.</Empty>
      )}
    </section>
  );
}
