import { ErrorMessage } from './status.tsx';

/**
 * The foot of a paged list: how many rows are shown and, while the api has more (a next cursor),
 * a button that fetches the next page. The count is a polite live region, so a screen reader
 * hears the list grow; focus stays on the button for the next page.
 */
export function LoadMore({
  shown,
  what,
  hasMore,
  busy,
  error,
  onLoadMore,
}: {
  shown: number;
  what: string;
  hasMore: boolean;
  busy: boolean;
  error: string | undefined;
  onLoadMore: () => void;
}) {
  return (
    <div className="load-more">
      <p role="status" aria-live="polite" className="muted">
        {hasMore ? `Showing the first ${shown} ${what}.` : `All ${what} shown (${shown}).`}
      </p>
      {hasMore && (
        // aria-disabled, not disabled: a disabled button drops the keyboard focus while it loads.
        <button type="button" onClick={() => !busy && onLoadMore()} aria-disabled={busy}>
          {busy ? 'Loading…' : `Load more ${what}`}
        </button>
      )}
      {error && <ErrorMessage message={`Could not load more ${what}: ${error}`} />}
    </div>
  );
}
