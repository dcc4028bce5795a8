import { join } from 'node:path';
import { REPO_ROOT } from './compose.ts';

/**
 * The console's screens in the root README, taken by the browser suite (test/console.test.ts) on
 * every run at one fixed viewport, so they show the console as it is today: a screen that changed
 * shows up in `git status` after the suite. test/screenshots.test.ts (static) fails when the README
 * shows a picture the suite does not take, or the suite takes one the README does not show.
 */
export const SCREENSHOTS = ['sign-in', 'documents', 'conversation', 'approval', 'usage'] as const;
export type ScreenshotName = (typeof SCREENSHOTS)[number];

export const SCREENSHOT_DIR = join(REPO_ROOT, 'docs/screenshots');
/** Small enough to read beside the README's text, large enough for the two-column pages. */
export const SCREENSHOT_VIEWPORT = { width: 1100, height: 720 };
/** Each PNG stays small in the repository (flat colours and text compress well). */
export const MAX_SCREENSHOT_BYTES = 150_000;

export const screenshotPath = (name: ScreenshotName): string => join(SCREENSHOT_DIR, `${name}.png`);

/** The screenshots a Markdown text shows (`docs/screenshots/<name>.png`), in order. */
export const screenshotsShownIn = (markdown: string): string[] =>
  [...markdown.matchAll(/docs\/screenshots\/([\w-]+)\.png/g)].map((match) => match[1]!);
