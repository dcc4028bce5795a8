/** A page of a keyset-paged list, as every `/v1` list answers it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Rows asked for per request: the api's lists allow 1-100. */
export const PAGE_SIZE = 50;

/**
 * The first page, then the next ones until at least `shown` rows are loaded or the list ends: what
 * a refresh must load so the list does not shrink back to one page under the user.
 */
export async function loadCovering<T>(
  loadPage: (cursor: string | undefined) => Promise<Page<T>>,
  shown: number,
): Promise<Page<T>> {
  let page = await loadPage(undefined);
  const items = [...page.items];
  while (page.nextCursor && items.length < shown) {
    page = await loadPage(page.nextCursor);
    items.push(...page.items);
  }
  return { items, nextCursor: page.nextCursor };
}
