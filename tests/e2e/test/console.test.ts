import { mkdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, connectBrowser, seriousViolations } from '../src/browser.ts';
import { reportMetric, since } from '../src/compose.ts';
import { ProdStack } from '../src/prod-stack.ts';
import {
  MAX_SCREENSHOT_BYTES,
  SCREENSHOT_DIR,
  SCREENSHOT_VIEWPORT,
  SCREENSHOTS,
  screenshotPath,
  type ScreenshotName,
} from '../src/screenshots.ts';

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
  // A fixed viewport: the screenshots the README shows are the same size on every run.
  context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
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

/** The conversation's last message (its own list items only: a message's tool calls are lists too). */
const lastMessage = (conversation: Locator) =>
  conversation.getByRole('list', { name: 'Messages' }).locator(':scope > li').last();

async function expectAccessible(what: string) {
  expect(await seriousViolations(page), `${what}: serious accessibility violations`).toEqual([]);
}

const screenshotsTaken = new Set<ScreenshotName>();

/** The screen as it is now, for the root README (src/screenshots.ts): written on every run. */
async function screenshot(name: ScreenshotName) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Focus rings and the caret are left out: a picture of the page, not of where the test was.
  await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
  await page.screenshot({ path: screenshotPath(name), animations: 'disabled', caret: 'hide' });
  screenshotsTaken.add(name);
}

/** Leaves the conversation for another page, then opens the newest conversation again. */
async function leaveAndReopenNewestConversation() {
  await page.getByRole('link', { name: 'Documents' }).click();
  await page.getByRole('heading', { name: 'Documents' }).waitFor();
  await page.getByRole('link', { name: 'Conversations' }).click();
  await page
    .getByRole('navigation', { name: 'Conversations' })
    .getByRole('listitem')
    .first()
    .getByRole('button')
    .click();
}

/** The api as the signed-in user, for what the server says happened. */
async function apiGet<T>(path: string): Promise<T> {
  const token = await stack.token('console-e2e');
  const response = await fetch(`${stack.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

interface RunView {
  id: string;
  status: string;
  approvals: { toolName: string; decision: string; reason: string | null }[];
}

/** A conversation's newest run, with its approvals (GET /v1/runs/:id). */
async function newestRun(conversationId: string): Promise<RunView> {
  const { items: runs } = await apiGet<{ items: { id: string }[] }>(
    `/v1/conversations/${conversationId}/runs`,
  );
  return apiGet<RunView>(`/v1/runs/${runs[0]!.id}`);
}

/**
 * A new conversation whose message makes the scripted model call create_task (a write tool, so
 * the run pauses for approval, the prod default), queuing `text` in another conversation.
 */
async function askForApproval(text: string) {
  const token = await stack.token('console-e2e');
  const created = await fetch(`${stack.baseUrl}/v1/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Where the approved task goes' }),
  });
  expect(created.status).toBe(201);
  const target = ((await created.json()) as { id: string }).id;
  await page.getByRole('link', { name: 'Conversations' }).click();
  // The first: a conversation without a title is listed below it under the same words.
  await page.getByRole('button', { name: 'New conversation' }).first().click();
  await page.getByLabel('Message', { exact: true }).fill(`queue a task in conversation ${target}: ${text}`);
  await page.getByRole('button', { name: 'Send' }).click();
  const conversation = page.getByRole('article', { name: 'Conversation' });
  const answer = lastMessage(conversation);
  await answer.getByRole('button', { name: 'Approve create_task' }).waitFor({ timeout: 60_000 });
  await conversation.getByRole('status').filter({ hasText: 'The agent waits for your approval.' }).waitFor();
  // The call is shown with its input before anyone decides.
  expect(await answer.getByRole('form').textContent()).toContain(target);
  // The chat's conversation: the newest besides the target (an approved task later runs in the
  // target, which then becomes the newest).
  const { items } = await apiGet<{ items: { id: string }[] }>('/v1/conversations');
  const chatId = items.find((item) => item.id !== target)!.id;
  expect((await newestRun(chatId)).status).toBe('awaiting_approval');
  return { conversation, answer, target, chatId };
}

/** Moves focus back from the message field by `steps` Shift+Tabs: the approval's controls come just before it. */
async function focusBackFromComposer(steps: number) {
  await page.getByLabel('Message', { exact: true }).focus();
  for (let i = 0; i < steps; i++) await page.keyboard.press('Shift+Tab');
  return page.evaluate<string>(
    "document.activeElement.getAttribute('aria-label') ?? document.activeElement.id",
  );
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
    await screenshot('sign-in');
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
    await screenshot('documents');
  });

  it('uploads a file and follows its status until ready', async () => {
    const started = performance.now();
    await page.getByLabel(/^File/).setInputFiles({
      name: 'hull-notes.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Hull notes\n\nThe garboard strake lies next to the keel.\n'),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    const row = page.getByRole('row').filter({ hasText: 'hull-notes.md' });
    // The list follows the status live: converted and indexed by the task-runner, no reload.
    await row.getByText('ready', { exact: true }).waitFor({ timeout: 60_000 });
    reportMetric('console.upload_ready', since(started), 'ms');
    expect(await row.getByRole('cell').first().textContent()).toMatch(
      /^hull-notes.*\(hull-notes\.md, \d+ B\)$/,
    );
  });

  it('deletes a document only once the dialog confirms it (Escape cancels)', async () => {
    await page.getByLabel('Title', { exact: true }).fill('Scratch note');
    await page.getByLabel('Content', { exact: true }).fill('To be deleted.');
    await page.getByRole('button', { name: 'Add document' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Scratch note' });
    // Ready first: what is deleted is a whole document, not one the task-runner is still indexing.
    await row.getByText('ready', { exact: true }).waitFor({ timeout: 60_000 });
    const dialog = page.getByRole('dialog', { name: 'Delete “Scratch note”?' });
    // Escape cancels: the dialog closes and the document stays.
    await row.getByRole('button', { name: 'Delete Scratch note' }).click();
    await dialog.waitFor();
    // Focus starts on Cancel, the safe answer.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await expectAccessible('documents, deletion asked');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // The dialog gave focus back to the button that opened it.
    expect(await page.evaluate("document.activeElement.getAttribute('aria-label')")).toBe(
      'Delete Scratch note',
    );
    expect(await row.count()).toBe(1);
    const titles = async () =>
      (await apiGet<{ items: { title: string }[] }>('/v1/documents')).items.map((document) => document.title);
    expect(await titles()).toContain('Scratch note');
    // Confirmed by keyboard: Enter reopens it, Tab from Cancel to Delete, Enter.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await titles()).not.toContain('Scratch note');
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

  it('streams an answer with its tool call (useChat over the UI message stream)', async () => {
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByText('No conversations yet.').waitFor();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Message', { exact: true }).fill('search: keelsons');
    await page.getByRole('button', { name: 'Send' }).click();
    const conversation = page.getByRole('article', { name: 'Conversation' });
    const answer = lastMessage(conversation);
    // The scripted model calls search_documents, then quotes what it found.
    await answer.getByRole('list', { name: 'Tool calls' }).getByText('search_documents').waitFor();
    await expect.poll(() => conversation.getAttribute('aria-busy'), { timeout: 60_000 }).toBe('false');
    expect(await answer.getByTestId('answer').textContent()).toMatch(/Here is what I found: .*keelsons/s);
    expect(await answer.getByRole('list', { name: 'Tool calls' }).textContent()).toContain('(done)');
    await expectAccessible('conversation');
    await screenshot('conversation');
  });

  it('resumes a run still going when the conversation is opened again, and stops it: the run is cancelled, the partial answer stays', async () => {
    const conversation = page.getByRole('article', { name: 'Conversation' });
    const full = 'The keelson is a longitudinal member fastened to the floors above the keel. '.repeat(6);
    await page.getByLabel('Message', { exact: true }).fill(`stream slowly every 150 ms: ${full}`);
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = lastMessage(conversation);
    await expect
      .poll(() => answer.getByTestId('answer').textContent(), { timeout: 30_000 })
      .toMatch(/^The keel/);
    // Leave while the run streams (the chat and its request are gone), then come back: useChat's
    // resume picks the run up again from GET /v1/chat/:id/stream, replayed from its start.
    await leaveAndReopenNewestConversation();
    await expect.poll(() => conversation.getAttribute('aria-busy'), { timeout: 10_000 }).toBe('true');
    await expect
      .poll(() => answer.getByTestId('answer').textContent(), { timeout: 10_000 })
      .toMatch(/^The keel/);
    await page.getByRole('button', { name: 'Stop' }).click();
    await conversation.getByRole('status').filter({ hasText: 'Stopped.' }).waitFor({ timeout: 10_000 });
    const partial = (await answer.getByTestId('answer').textContent()) ?? '';
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(full.length);
    // The replay replaced what was shown, it did not add to it: one answer, a prefix of the text.
    expect(full.startsWith(partial)).toBe(true);
    expect(await conversation.getByRole('list', { name: 'Messages' }).locator(':scope > li').count()).toBe(4);
    // Not just the request closed: the run itself ended as cancelled.
    const { items: conversations } = await apiGet<{ items: { id: string }[] }>('/v1/conversations');
    expect((await newestRun(conversations[0]!.id)).status).toBe('cancelled');
    await expectAccessible('conversation, stopped');
  });

  it('approves a tool call inline, also after the conversation was opened again (by keyboard)', async () => {
    const { conversation, answer, chatId } = await askForApproval('check the keelson bolts');
    await expectAccessible('conversation, approval waiting');
    await screenshot('approval');
    // Leave and come back: the stored history and the run's approvals show the buttons again,
    // and the resumed stream replaces the turn rather than adding a second one.
    await leaveAndReopenNewestConversation();
    await answer.getByRole('button', { name: 'Approve create_task' }).waitFor({ timeout: 10_000 });
    // The resumed stream (the paused run replayed) has ended: the chat is idle again, waiting.
    await conversation
      .getByRole('status')
      .filter({ hasText: 'The agent waits for your approval.' })
      .waitFor({ timeout: 10_000 });
    expect(await conversation.getByRole('list', { name: 'Messages' }).locator(':scope > li').count()).toBe(2);
    // Approve, Reason, Deny come just before the message field: three Shift+Tabs back, then Enter.
    expect(await focusBackFromComposer(3)).toBe('Approve create_task');
    await page.keyboard.press('Enter');
    // The rest of the run streams into the same message: the tool ran, then the answer quoting it.
    await expect
      .poll(() => answer.getByTestId('answer').textContent(), { timeout: 60_000 })
      .toMatch(/^Here is what I found: .*check the keelson bolts/s);
    await expect.poll(() => conversation.getAttribute('aria-busy'), { timeout: 10_000 }).toBe('false');
    expect(await answer.getByRole('list', { name: 'Tool calls' }).textContent()).toContain(
      'create_task (approved, done)',
    );
    expect(await conversation.getByRole('list', { name: 'Messages' }).locator(':scope > li').count()).toBe(2);
    const run = await newestRun(chatId);
    expect(run.status).toBe('succeeded');
    expect(run.approvals).toEqual([
      expect.objectContaining({ toolName: 'create_task', decision: 'approved' }),
    ]);
    await expectAccessible('conversation, approved');
  });

  it('denies a tool call with a reason: the agent is told, the run ends, nothing is queued', async () => {
    const { conversation, answer, target, chatId } = await askForApproval('repaint the hull');
    // Back to the reason field, type it, Enter: the reason's form denies.
    expect(await focusBackFromComposer(2)).toMatch(/-reason$/);
    await page.keyboard.insertText('not before the survey');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => answer.getByRole('list', { name: 'Tool calls' }).textContent(), { timeout: 60_000 })
      .toContain('create_task (denied: not before the survey)');
    await expect.poll(() => conversation.getAttribute('aria-busy'), { timeout: 60_000 }).toBe('false');
    // The scripted model quotes the tool's result: for a denied call, the reason it was given.
    expect(await answer.getByTestId('answer').textContent()).toContain('not before the survey');
    const run = await newestRun(chatId);
    expect(run.status).toBe('succeeded');
    expect(run.approvals).toEqual([
      expect.objectContaining({
        toolName: 'create_task',
        decision: 'denied',
        reason: 'not before the survey',
      }),
    ]);
    // Denied, so never run: no task was queued for the target conversation.
    const { items: tasks } = await apiGet<{ items: { input: { conversationId?: string } }[] }>(
      '/v1/tasks?limit=100',
    );
    expect(tasks.filter((task) => task.input.conversationId === target)).toEqual([]);
    await expectAccessible('conversation, denied');
  });

  it('creates an API key, shows it once, and revokes it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByText('No API keys.').waitFor();
    await expectAccessible('API keys, empty');
    await page.getByLabel('Name', { exact: true }).fill('console nightly import');
    // `read` is checked by default; add `write`.
    await page.getByRole('checkbox', { name: /^write/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('created-key').textContent()) ?? '';
    expect(key).toMatch(/^kls_/);
    const row = page.getByRole('row').filter({ hasText: 'console nightly import' });
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('read, write');
    // http://lb:8080 is not a secure context, so the browser has no clipboard API: the console says so.
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Copied\.|Copying failed/ })
      .waitFor();
    await expectAccessible('API keys, created');
    const withKey = () =>
      fetch(`${stack.baseUrl}/v1/documents`, { headers: { authorization: `Bearer ${key}` } }).then(
        (r) => r.status,
      );
    expect(await withKey()).toBe(200);
    await row.getByRole('button', { name: 'Revoke console nightly import' }).click();
    await page.getByText('No API keys.').waitFor();
    expect(await page.getByTestId('created-key').count()).toBe(0);
    // Revocation is announced to every replica; the cache bounds a missed message to a second.
    await expect.poll(withKey, { timeout: 5_000 }).toBe(401);
  });

  it('lists the tasks the session caused', async () => {
    await page.getByRole('link', { name: 'Runs and tasks' }).click();
    await page.getByRole('row').filter({ hasText: 'succeeded' }).first().waitFor();
    await expectAccessible('tasks');
  });

  it('shows usage by day and model, and the quotas with what is used', async () => {
    const token = await stack.token('console-e2e');
    const quotas = (await (
      await fetch(`${stack.baseUrl}/v1/quotas`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { documents: { limit: number; used: number } };
    // Two documents are held (the written one and the upload): the same numbers the api enforces.
    expect(quotas.documents.used).toBe(2);
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Quotas', exact: true }).waitFor();
    const documents = page.locator('.quotas div').filter({ hasText: 'Documents' });
    expect(await documents.locator('dd').textContent()).toBe(
      ` 2 of ${new Intl.NumberFormat('en-US').format(quotas.documents.limit)}`,
    );
    // The conversations above ran the scripted model: its calls are counted, by day and by model.
    expect(await page.getByTestId('usage-totals').textContent()).toMatch(/^\d+ model calls, [\d,]+ input/);
    await page
      .getByRole('table', { name: 'By model' })
      .getByRole('rowheader', { name: 'openai-compatible:fake-model' })
      .waitFor();
    await expectAccessible('usage');
    await screenshot('usage');
  });

  it('follows the cursors past the first 50 rows of every list (Load more, by keyboard)', async () => {
    const token = await stack.token('console-e2e');
    const post = (path: string, body: unknown) =>
      fetch(`${stack.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => expect(response.status, path).toBeLessThan(300));
    /** Every row of a list, counted by following its cursors as the console must. */
    const countAll = async (path: string) => {
      let count = 0;
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const response = await fetch(`${stack.baseUrl}${path}?limit=100${query}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const page = (await response.json()) as { items: unknown[]; nextCursor: string | null };
        count += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      return count;
    };
    const started = performance.now();
    for (let i = 0; i < 55; i++) {
      await post('/v1/documents', { title: `Paged document ${i}`, content: `Row ${i} of many.` });
      await post('/v1/conversations', { title: `Paged conversation ${i}` });
      await post('/v1/api-keys', { name: `paged key ${i}`, scopes: ['read'] });
    }
    reportMetric('console.seed_165_rows', since(started), 'ms');

    /** Shows the first 50, then every row after "Load more" pressed with the keyboard. */
    const pagesThrough = async (link: string, what: string, rows: Locator, total: number) => {
      expect(total).toBeGreaterThan(50);
      await page.getByRole('link', { name: link }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Showing the first 50 ${what}.` })
        .waitFor();
      expect(await rows.count()).toBe(50);
      await page.getByRole('button', { name: `Load more ${what}` }).focus();
      await page.keyboard.press('Enter');
      await page
        .getByRole('status')
        .filter({ hasText: `All ${what} shown (${total}).` })
        .waitFor({ timeout: 10_000 });
      expect(await rows.count()).toBe(total);
      expect(await page.getByRole('button', { name: `Load more ${what}` }).count()).toBe(0);
    };
    const documents = await countAll('/v1/documents');
    await pagesThrough('Documents', 'documents', page.locator('tbody tr'), documents);
    // The oldest, on the second page: the written document from the start of the suite.
    await page.getByRole('row').filter({ hasText: 'Console handbook' }).waitFor();
    await pagesThrough(
      'Conversations',
      'conversations',
      page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem'),
      await countAll('/v1/conversations'),
    );
    await pagesThrough('Runs and tasks', 'tasks', page.locator('tbody tr'), await countAll('/v1/tasks'));
    // API keys are not paged: an owner holds at most 100, and the console asks for 100 at once.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('row').filter({ hasText: 'paged key 0' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(55);
    await expectAccessible('API keys, 55');
  });

  it('logged no console error and no uncaught exception (CSP violations included)', () => {
    expect(errors).toEqual([]);
  });

  it('took every screenshot the README shows, each small', async () => {
    expect([...screenshotsTaken].toSorted()).toEqual([...SCREENSHOTS].toSorted());
    for (const name of SCREENSHOTS) {
      expect((await stat(screenshotPath(name))).size, name).toBeLessThan(MAX_SCREENSHOT_BYTES);
    }
  });
});
