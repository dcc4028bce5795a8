import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { Empty, ErrorMessage, Loading } from '../components/status.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { PAGE_SIZE, usePagedResource } from '../components/use-paged-resource.ts';

const finished = new Set(['succeeded', 'failed', 'cancelled']);

/** Background work (document ingestion, agent runs) and its status, refreshed while any runs. */
export function TasksPage() {
  const { api } = useSession();
  const { resource, reload, loadMore, loadingMore, loadMoreError } = usePagedResource(
    (cursor) => unwrap(api.GET('/v1/tasks', { params: { query: { limit: PAGE_SIZE, cursor } } })),
    { pollMs: 2_000, poll: (items) => items.some((task) => !finished.has(task.status)) },
  );
  return (
    <section aria-labelledby="tasks-heading">
      <h1 id="tasks-heading">Runs and tasks</h1>
      <button type="button" onClick={reload}>
        Refresh
      </button>
      {resource.state === 'loading' && <Loading what="tasks" />}
      {resource.state === 'failed' && <ErrorMessage message={`Could not load tasks: ${resource.message}`} />}
      {resource.state === 'loaded' &&
        (resource.data.items.length === 0 ? (
          <Empty>No tasks yet: adding a document or starting an agent run creates one.</Empty>
        ) : (
          <>
            <table>
              <caption className="visually-hidden">Your tasks</caption>
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Created</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {resource.data.items.map((task) => (
                  <tr key={task.id}>
                    <td>{task.type}</td>
                    <td>
                      <span className={`badge badge-${task.status}`}>{task.status}</span>
                    </td>
                    <td>{task.attempts}</td>
                    <td>{new Date(task.createdAt).toLocaleString()}</td>
                    <td>{task.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore
              shown={resource.data.items.length}
              what="tasks"
              hasMore={resource.data.nextCursor !== null}
              busy={loadingMore}
              error={loadMoreError}
              onLoadMore={loadMore}
            />
          </>
        ))}
    </section>
  );
}
