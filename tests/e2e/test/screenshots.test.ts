import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/compose.ts';
import { MAX_SCREENSHOT_BYTES, SCREENSHOTS, screenshotPath, screenshotsShownIn } from '../src/screenshots.ts';

/**
 * Static and fast: the root README shows exactly the screenshots the browser suite takes
 * (test/console.test.ts writes them on every run), each committed and small.
 */
describe('the README’s screenshots', () => {
  it('are the ones the browser suite takes, each once', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(screenshotsShownIn(readme).toSorted()).toEqual([...SCREENSHOTS].toSorted());
  });

  it('are committed PNGs under the size limit', async () => {
    for (const name of SCREENSHOTS) {
      const file = screenshotPath(name);
      const bytes = await readFile(file);
      // The PNG signature: a real image, not a Git LFS pointer or an empty file.
      expect(bytes.subarray(0, 8).toString('hex'), name).toBe('89504e470d0a1a0a');
      expect((await stat(file)).size, name).toBeLessThan(MAX_SCREENSHOT_BYTES);
    }
  });
});
