import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, connectBrowser, seriousViolations } from '../src/browser.ts';
import { reportMetric, since } from '../src/compose.ts';
import { ProdStack } from '../src/prod-stack.ts';

const CONSOLE_OVERRIDE = fileURLToPath(new URL('../console.override.yaml', import.meta.url));
/** Where the browser (a container on the stack's network) finds the console: through the load balancer. */
const CONSOLE_URL = 'http://lb:8080/console/';

/**
 * The web console in a real browser (Debian's Chromium, driven by playwright-core over CDP) against
 * the prod stack with the scripted model: what a user does on day one, an accessibility check
 * (axe-core) on every page, and no console error anywhere.
 */
let stack: ProdStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  stack = await ProdStack.create('keelson-e2e-console', [CONSOLE_OVERRIDE]);
  await stack.project.down();
  const started = performance.now();
  await stack.project.compose(['up', '--detach', '--build', '--wait', '--wait-timeout', '240']);
  reportMetric('console.up_to_healthy', since(started), 'ms');
  await stack.connect();
  browser = await connectBrowser(await stack.project.port('browser', 9223));
  context = await browser.newContext();
  page = await context.newPage();
  // The one error this suite causes on purpose: the production stack has no development sign-in,
  // and Chromium logs the 404 of the console's attempt.
  errors = collectErrors(page, [/status of 404.*\/dev\/token/]);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  if (process.env.E2E_KEEP !== '1' && stack) await stack.dispose();
});

async function expectAccessible(what: string) {
  expect(await seriousViolations(page), `${what}: serious accessibility violations`).toEqual([]);
}

describe('the console', () => {
  it('is served through the load balancer with its security headers', async () => {
    const response = await page.goto(CONSOLE_URL);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    await page.getByRole('heading', { name: 'Keelson console' }).waitFor();
    await expectAccessible('sign-in');
  });

  it('has no development sign-in in production, and signs in with an access token by keyboard', async () => {
    await page.getByRole('button', { name: 'Sign in as developer' }).click();
    await page.getByRole('alert').filter({ hasText: 'not available on this deployment' }).waitFor();
    // By keyboard alone: Tab from the user id past the development button to the token field,
    // type, Tab to its button, Enter.
    const token = await stack.token('console-e2e');
    await page.getByLabel('User id').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('token');
    await page.keyboard.insertText(token);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('.who strong', { hasText: 'console-e2e' }).waitFor();
  });

  it('lists documents (empty first), adds one and shows it ready', async () => {
    await page.getByText('No documents yet').waitFor();
    await expectAccessible('documents, empty');
    const started = performance.now();
    await page.getByLabel('Title', { exact: true }).fill('Console handbook');
    await page
      .getByLabel('Content', { exact: true })
      .fill('The console shows paragraphs.\n\nA second paragraph mentions keelsons and hulls.');
    await page.getByRole('button', { name: 'Add document' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Console handbook' });
    await row.getByText('ready', { exact: true }).waitFor({ timeout: 60_000 });
    reportMetric('console.document_ready', since(started), 'ms');
    await expectAccessible('documents');
  });

  it('searches and marks the matching words', async () => {
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByLabel('Search your documents').fill('keelsons');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const result = page.getByRole('list', { name: 'Results' }).getByRole('listitem').first();
    await expect.poll(() => result.locator('mark').first().textContent()).toBe('keelsons');
    expect(await result.getByRole('heading').textContent()).toBe('Console handbook');
    await expectAccessible('search');
  });

  it('streams an answer with its tool call', async () => {
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByText('No conversations yet.').waitFor();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Message', { exact: true }).fill('search: keelsons');
    await page.getByRole('button', { name: 'Send' }).click();
    const turn = page.getByRole('region', { name: 'Current turn' });
    // The scripted model calls search_documents, then quotes what it found.
    await turn.getByRole('list', { name: 'Tool calls' }).getByText('search_documents').waitFor();
    await expect.poll(() => turn.getAttribute('aria-busy'), { timeout: 60_000 }).toBe('false');
    expect(await turn.getByTestId('answer').textContent()).toMatch(/Here is what I found: .*keelsons/s);
    expect(await turn.getByRole('list', { name: 'Tool calls' }).textContent()).toContain('(done)');
    await expectAccessible('conversation');
  });

  it('lists the tasks the session caused', async () => {
    await page.getByRole('link', { name: 'Runs and tasks' }).click();
    await page.getByRole('row').filter({ hasText: 'succeeded' }).first().waitFor();
    await expectAccessible('tasks');
  });

  it('logged no console error and no uncaught exception (CSP violations included)', () => {
    expect(errors).toEqual([]);
  });
});
