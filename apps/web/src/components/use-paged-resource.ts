import { useCallback, useEffect, useRef, useState } from 'react';
import type { Resource } from './use-resource.ts';

/** A page of a keyset-paged list, as every `/v1` list answers it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Rows asked for per request: the api's lists allow 1-100. */
export const PAGE_SIZE = 50;

/**
 * A keyset-paged list that grows by "Load more" (`loadMore()` follows the last page's
 * `nextCursor`). A reload (after a change, or every `pollMs` while `poll(items)` says rows are
 * still changing) starts again from the first page and follows the cursors until it covers as
 * many rows as were shown, so a refresh never shrinks what the user scrolled to, and rows added
 * or deleted meanwhile are where they belong instead of duplicated or left behind.
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
  /** How many rows are on screen: what a reload must cover again. */
  const shown = useRef(0);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loadShown = async (): Promise<Page<T>> => {
      let page = await loadRef.current(undefined);
      const items = [...page.items];
      while (page.nextCursor && items.length < shown.current) {
        page = await loadRef.current(page.nextCursor);
        items.push(...page.items);
      }
      return { items, nextCursor: page.nextCursor };
    };
    loadShown().then(
      (data) => {
        if (!active) return;
        shown.current = data.items.length;
        setResource({ state: 'loaded', data });
        const { poll, pollMs = 1_000 } = optionsRef.current;
        if (poll?.(data.items)) timer = setTimeout(reload, pollMs);
      },
      (error: unknown) => {
        if (active)
          setResource({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [generation, reload]);

  const loadMore = useCallback(async () => {
    if (resource.state !== 'loaded' || !resource.data.nextCursor) return;
    setMore({ busy: true });
    try {
      const page = await loadRef.current(resource.data.nextCursor);
      setResource((current) => {
        if (current.state !== 'loaded') return current;
        // A reload may have landed meanwhile and already hold some of these rows.
        const known = new Set(current.data.items.map((item) => item.id));
        const items = [...current.data.items, ...page.items.filter((item) => !known.has(item.id))];
        shown.current = items.length;
        return { state: 'loaded', data: { items, nextCursor: page.nextCursor } };
      });
      setMore({ busy: false });
    } catch (error) {
      setMore({ busy: false, error: error instanceof Error ? error.message : String(error) });
    }
  }, [resource]);

  return { resource, reload, loadMore, loadingMore: more.busy, loadMoreError: more.error };
}
