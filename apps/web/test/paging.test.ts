import { describe, expect, it } from 'vitest';
import { loadCovering, PAGE_SIZE, type Page } from '../src/components/paging.ts';

/**
 * A keyset-paged list as the api serves one: newest first (by a key, as created_at and id), `limit`
 * rows a page, the cursor naming the last row's key (the next page is the rows after it). Rows can
 * be added and deleted between requests.
 */
function keysetList(count: number) {
  let keys = Array.from({ length: count }, (_, i) => count - 1 - i);
  const requests: (string | undefined)[] = [];
  return {
    requests,
    add: (key: number) => (keys = [key, ...keys].sort((a, b) => b - a)),
    remove: (key: number) => (keys = keys.filter((k) => k !== key)),
    async loadPage(cursor: string | undefined): Promise<Page<{ id: string }>> {
      requests.push(cursor);
      const after = keys.filter((key) => cursor === undefined || key < Number(cursor));
      const items = after.slice(0, PAGE_SIZE);
      const more = after.length > PAGE_SIZE;
      return {
        items: items.map((key) => ({ id: `row-${key}` })),
        nextCursor: more ? String(items.at(-1)) : null,
      };
    },
  };
}

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => `row-${from - i}`);

describe('loadCovering', () => {
  it('loads one page when nothing is shown yet, with the cursor to the next', async () => {
    const list = keysetList(120);
    const page = await loadCovering((cursor) => list.loadPage(cursor), 0);
    expect(page.items.map((item) => item.id)).toEqual(ids(119, PAGE_SIZE));
    expect(page.nextCursor).toBe('70');
    expect(list.requests).toEqual([undefined]);
  });

  it('follows the cursors until it covers the rows wanted ("Load more": one page more), and no further', async () => {
    const list = keysetList(120);
    const page = await loadCovering((cursor) => list.loadPage(cursor), PAGE_SIZE + 1);
    expect(page.items.map((item) => item.id)).toEqual(ids(119, 100));
    expect(list.requests).toEqual([undefined, '70']);
    expect(page.nextCursor).toBe('20');
  });

  it('stops at the end of the list, with no next cursor', async () => {
    const list = keysetList(120);
    const page = await loadCovering((cursor) => list.loadPage(cursor), 1_000);
    expect(page.items.map((item) => item.id)).toEqual(ids(119, 120));
    expect(page.nextCursor).toBeNull();
    expect(list.requests).toHaveLength(3);
  });

  it('shows a row added meanwhile once and a deleted one not at all, and skips none (a refresh of two pages)', async () => {
    const list = keysetList(120);
    const shown = await loadCovering((cursor) => list.loadPage(cursor), PAGE_SIZE + 1);
    list.add(500);
    list.remove(60);
    const refreshed = await loadCovering((cursor) => list.loadPage(cursor), shown.items.length);
    const refreshedIds = refreshed.items.map((item) => item.id);
    expect(refreshedIds).toEqual(['row-500', ...ids(119, 100).filter((id) => id !== 'row-60')]);
    expect(new Set(refreshedIds).size).toBe(refreshedIds.length);
  });

  it('passes a failed page on instead of showing a partial list', async () => {
    const list = keysetList(120);
    const failing = async (cursor: string | undefined) => {
      if (cursor) throw new Error('HTTP 503');
      return list.loadPage(cursor);
    };
    await expect(loadCovering(failing, PAGE_SIZE + 1)).rejects.toThrow('HTTP 503');
  });
});
