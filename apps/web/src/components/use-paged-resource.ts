import { useCallback, useEffect, useRef, useState } from 'react';
import { loadCovering, type Page } from './paging.ts';
import type { Resource } from './use-resource.ts';

export { PAGE_SIZE } from './paging.ts';

/**
 * A keyset-paged list that grows by "Load more". Every load, the first one, a reload (after a
 * change, or every `pollMs` while `poll(items)` says rows are still changing) and "Load more",
 * starts from the first page and follows the api's cursors until it covers the rows wanted: those
 * shown, or one more page. One path, so a refresh never shrinks what the user paged to, and a row
 * added or deleted meanwhile can neither be shown twice nor skipped (as appending a page fetched
 * with an older cursor to a refreshed list could). It costs a request per page shown: cheap at
 * 50 rows a page on a console.
 */
export function usePagedResource<T extends { id: string }>(
  loadPage: (cursor: string | undefined) => Promise<Page<T>>,
  options: { pollMs?: number; poll?: (items: T[]) => boolean } = {},
) {
  const [resource, setResource] = useState<Resource<Page<T>>>({ state: 'loading' });
  const [more, setMore] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const loadRef = useRef(loadPage);
  loadRef.current = loadPage;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  /** How many rows the next load must cover. */
  const wanted = useRef(0);
  /** Whether the load under way is a "Load more" (its failure keeps the rows shown). */
  const growing = useRef(false);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    loadCovering(loadRef.current, wanted.current).then(
      (data) => {
        if (!active) return;
        wanted.current = data.items.length;
        growing.current = false;
        setMore({ busy: false });
        setResource({ state: 'loaded', data });
        const { poll, pollMs = 1_000 } = optionsRef.current;
        if (poll?.(data.items)) timer = setTimeout(reload, pollMs);
      },
      (error: unknown) => {
        if (!active) return;
        const message = error instanceof Error ? error.message : String(error);
        if (growing.current) {
          growing.current = false;
          setMore({ busy: false, error: message });
        } else setResource({ state: 'failed', message });
      },
    );
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [generation, reload]);

  const loadMore = useCallback(() => {
    if (resource.state !== 'loaded' || !resource.data.nextCursor) return;
    wanted.current = resource.data.items.length + 1;
    growing.current = true;
    setMore({ busy: true });
    reload();
  }, [resource, reload]);

  return { resource, reload, loadMore, loadingMore: more.busy, loadMoreError: more.error };
}
