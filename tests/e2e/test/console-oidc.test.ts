import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, connectBrowser, seriousViolations } from '../src/browser.ts';
import { reportMetric, since } from '../src/compose.ts';
import { ProdStack } from '../src/prod-stack.ts';

const CONSOLE_OVERRIDE = fileURLToPath(new URL('../console.override.yaml', import.meta.url));
const OIDC_OVERRIDE = fileURLToPath(new URL('../console-oidc.override.yaml', import.meta.url));
/** Where the browser (a container on the stack's network) finds the console and the provider. */
const CONSOLE_URL = 'http://lb:8080/console/';
const ISSUER = 'https://oidc:8443';
const SUBJECT = 'oidc-alice';

/**
 * The console's OpenID Connect sign-in in a real browser against a real OpenID Provider
 * (tests/oidc-provider: panva's oidc-provider, over TLS, on the stack's network): authorization
 * code + PKCE through the provider's own login and consent pages, the api accepting the provider's
 * access tokens (its JWKS, issuer and audience), the renewal with the refresh token, sign-out, and
 * a tampered `state` refused. The prod stack is console.test.ts's, plus the provider.
 */
let stack: ProdStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];
const grants: { grant: string; status: number }[] = [];
/** When the first access token was issued (it lives 15 s: console-oidc.override.yaml). */
let signedInAt = 0;

beforeAll(async () => {
  // Its own `ingress` subnet: another suite's stack may hold the default one.
  stack = await ProdStack.create('keelson-e2e-console-oidc', [CONSOLE_OVERRIDE, OIDC_OVERRIDE], {
    LB_NETWORK_PREFIX: '10.203.23',
  });
  await stack.project.down();
  const started = performance.now();
  await stack.project.compose(['up', '--detach', '--build', '--wait', '--wait-timeout', '240']);
  reportMetric('console_oidc.up_to_healthy', since(started), 'ms');
  await stack.connect();
  browser = await connectBrowser(await stack.project.port('browser', 9223));
  context = await browser.newContext();
  page = await context.newPage();
  errors = collectErrors(page);
  // oidc-provider's built-in login page imports a web font from fonts.googleapis.com: the test
  // browser reaches nothing outside the stack, so that stylesheet is answered here, empty.
  await page.route(/^https:\/\/fonts\.googleapis\.com\//, (route) =>
    route.fulfill({ status: 200, contentType: 'text/css', body: '' }),
  );
  // Every grant at the provider's token endpoint, as the browser made it, with its status.
  page.on('requestfinished', (request) => {
    if (request.url() !== `${ISSUER}/token` || request.method() !== 'POST') return;
    const grant = new URLSearchParams(request.postData() ?? '').get('grant_type') ?? '?';
    void request.response().then((response) => grants.push({ grant, status: response?.status() ?? 0 }));
  });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  if (process.env.E2E_KEEP !== '1' && stack) await stack.dispose();
});

async function expectAccessible(what: string) {
  expect(await seriousViolations(page), `${what}: serious accessibility violations`).toEqual([]);
}

/** What the console keeps in Web Storage on its own origin (nothing, once signed in). */
const webStorage = () =>
  page.evaluate(() => ({ session: Object.keys(sessionStorage), local: Object.keys(localStorage) }));

describe('the console with an OpenID Provider', () => {
  it("is told the provider at run time, and its CSP lets it reach the provider's origin", async () => {
    const config: unknown = await (await fetch(`${stack.baseUrl}/v1/console/config`)).json();
    expect(config).toEqual({
      oidc: { issuer: ISSUER, clientId: 'keelson-console', scopes: ['openid', 'keelson'] },
      devSignIn: false,
    });
    const response = await page.goto(CONSOLE_URL);
    expect(response?.headers()['content-security-policy']).toContain(`connect-src 'self' ${ISSUER};`);
    await page.getByRole('button', { name: 'Sign in with oidc:8443' }).waitFor();
    await expectAccessible('sign-in with a provider');
  });

  it("signs in through the provider's login and consent (code + PKCE) and lands signed in as the subject", async () => {
    const started = performance.now();
    await page.getByRole('button', { name: 'Sign in with oidc:8443' }).click();
    // The provider's own interactive pages (oidc-provider's login, then its consent).
    await page.waitForURL(/^https:\/\/oidc:8443\/interaction\//);
    await page.locator('input[name="login"]').fill(SUBJECT);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    // Back on the console, the code exchanged and the URL cleaned of it.
    await page.locator('.who strong', { hasText: SUBJECT }).waitFor({ timeout: 15_000 });
    signedInAt = Date.now();
    await expect.poll(() => grants).toEqual([{ grant: 'authorization_code', status: 200 }]);
    reportMetric('console_oidc.sign_in', since(started), 'ms');
    expect(page.url()).toBe(CONSOLE_URL);
    // The verifier and state were removed at the callback; the tokens never touched Web Storage.
    expect(await webStorage()).toEqual({ session: [], local: [] });
  });

  it("adds a document with the provider's token: the api takes its `sub` as the owner", async () => {
    await page.getByText('No documents yet').waitFor();
    await expectAccessible('documents, signed in with the provider');
    await page.getByLabel('Title', { exact: true }).fill('Provider handbook');
    await page.getByLabel('Content', { exact: true }).fill('Signed in through the OpenID Provider.');
    await page.getByRole('button', { name: 'Add document' }).click();
    await page.getByRole('row').filter({ hasText: 'Provider handbook' }).waitFor();
    expect(await stack.sql("select owner_id from documents where title = 'Provider handbook'")).toEqual([
      SUBJECT,
    ]);
  });

  it('renews the access token with the refresh token before it expires, and goes on working', async () => {
    // The provider's access tokens live 15 s here (console-oidc.override.yaml): renewed at 12 s.
    await expect
      .poll(() => grants.filter(({ grant }) => grant === 'refresh_token'), { timeout: 30_000 })
      .toEqual([{ grant: 'refresh_token', status: 200 }]);
    // Past the first token's expiry (15 s, and the api's 5 s clock tolerance): only the renewed
    // token can be accepted now.
    const firstTokenDeadAt = signedInAt + 21_000;
    if (Date.now() < firstTokenDeadAt) await page.waitForTimeout(firstTokenDeadAt - Date.now());
    await page.getByLabel('Title', { exact: true }).fill('After renewal');
    await page.getByLabel('Content', { exact: true }).fill('Written with the renewed access token.');
    await page.getByRole('button', { name: 'Add document' }).click();
    await page.getByRole('row').filter({ hasText: 'After renewal' }).waitFor();
    expect(await page.locator('.who strong').textContent()).toBe(SUBJECT);
    expect(await webStorage()).toEqual({ session: [], local: [] });
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Keelson console' }).waitFor();
    expect(await page.locator('.who').count()).toBe(0);
  });

  it('refuses a callback whose state was tampered with, saying so', async () => {
    // The state the console sends is replaced on its way to the provider, which returns it as
    // given: the callback's state is then not the one this tab stored.
    await page.route(/^https:\/\/oidc:8443\/auth\?/, async (route) => {
      const url = new URL(route.request().url());
      url.searchParams.set('state', 'tampered-state');
      await route.continue({ url: url.toString() });
    });
    await page.getByRole('button', { name: 'Sign in with oidc:8443' }).click();
    // The provider remembers the sign-in and the consent: straight back to the console.
    await page
      .getByRole('alert')
      .filter({ hasText: 'Sign-in refused: the response does not match the sign-in this tab started' })
      .waitFor({ timeout: 15_000 });
    await page.unroute(/^https:\/\/oidc:8443\/auth\?/);
    expect(await page.locator('.who').count()).toBe(0);
    expect(page.url()).toBe(CONSOLE_URL);
    expect(await webStorage()).toEqual({ session: [], local: [] });
    await expectAccessible('sign-in refused');
  });

  it('logged no console error and no uncaught exception (CSP violations included)', () => {
    expect(errors).toEqual([]);
  });
});
