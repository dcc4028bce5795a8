import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configProblems } from '@repo/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/** GET /v1/console/config: the console's sign-in settings, from the api's typed config. */

const required = {
  NODE_ENV: 'development',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:9/app',
  REDIS_URL: 'redis://127.0.0.1:9',
};
const provider = { JWT_ISSUER: 'https://idp.example.com', JWT_JWKS_URL: 'https://idp.example.com/jwks' };
const problemsOf = (env: Record<string, string | undefined>) =>
  configProblems(() => loadConfig({ ...required, ...env }));

describe('the api config: CONSOLE_OIDC_*', () => {
  it('is off when unset, and asks for the openid scope by default', () => {
    const config = loadConfig({ ...required, ...provider });
    expect(config.CONSOLE_OIDC_CLIENT_ID).toBeUndefined();
    expect(
      loadConfig({ ...required, ...provider, CONSOLE_OIDC_CLIENT_ID: 'console' }).CONSOLE_OIDC_SCOPES,
    ).toEqual(['openid']);
  });

  it('reads the scopes space-separated', () => {
    const config = loadConfig({
      ...required,
      ...provider,
      CONSOLE_OIDC_CLIENT_ID: 'console',
      CONSOLE_OIDC_SCOPES: ' openid  keelson offline_access ',
    });
    expect(config.CONSOLE_OIDC_SCOPES).toEqual(['openid', 'keelson', 'offline_access']);
  });

  it('refuses a client id without the provider the api trusts, naming the variables', () => {
    for (const env of [{}, { JWT_ISSUER: provider.JWT_ISSUER }, { JWT_JWKS_URL: provider.JWT_JWKS_URL }]) {
      const problems = problemsOf({ ...env, CONSOLE_OIDC_CLIENT_ID: 'console' });
      expect(problems).toEqual([
        expect.stringMatching(/^CONSOLE_OIDC_CLIENT_ID: needs JWT_ISSUER and JWT_JWKS_URL/),
      ]);
    }
  });

  it('refuses an issuer that is not https with a client id', () => {
    const problems = problemsOf({
      ...provider,
      JWT_ISSUER: 'http://idp.example.com',
      CONSOLE_OIDC_CLIENT_ID: 'c',
    });
    expect(problems).toEqual([expect.stringMatching(/^JWT_ISSUER: must be an https URL/)]);
  });

  it('refuses scopes without openid, naming the variable', () => {
    const problems = problemsOf({ ...provider, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_SCOPES: 'profile' });
    expect(problems).toEqual([expect.stringMatching(/^CONSOLE_OIDC_SCOPES: must include "openid"/)]);
  });
});

describe('GET /v1/console/config', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  describe('with a provider', () => {
    // A console build, so the api also serves /console/ (its CSP must let the console reach the provider).
    const consoleDir = mkdtempSync(join(tmpdir(), 'keelson-console-'));
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>console</title>');
    afterAll(() => rmSync(consoleDir, { recursive: true, force: true }));

    beforeAll(async () => {
      t = await createTestApp({
        env: {
          JWT_SECRET: '',
          CONSOLE_DIR: consoleDir,
          ...provider,
          CONSOLE_OIDC_CLIENT_ID: 'keelson-console',
          CONSOLE_OIDC_SCOPES: 'openid keelson',
        },
      });
    });

    it('answers without authentication: the issuer, the client id and the scopes', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/v1/console/config' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        oidc: { issuer: provider.JWT_ISSUER, clientId: 'keelson-console', scopes: ['openid', 'keelson'] },
        devSignIn: false,
      });
      expect(response.headers['cache-control']).toBe('public, max-age=60');
    });

    it("lets the console it serves call the provider's origin (discovery, token endpoint), and no other", async () => {
      const response = await t.app.inject({ method: 'GET', url: '/console/' });
      expect(response.statusCode).toBe(200);
      expect(String(response.headers['content-security-policy'])).toContain(
        "connect-src 'self' https://idp.example.com;",
      );
    });
  });
});

describe('GET /v1/console/config without a provider', () => {
  it('says null in test mode, and offers the development sign-in where /dev/token exists', async () => {
    const test = await createTestApp();
    try {
      const response = await test.app.inject({ method: 'GET', url: '/v1/console/config' });
      expect(response.json()).toEqual({ oidc: null, devSignIn: false });
    } finally {
      await test.close();
    }
    const development = await createTestApp({ env: { NODE_ENV: 'development', JWT_SECRET: '' } });
    try {
      const response = await development.app.inject({ method: 'GET', url: '/v1/console/config' });
      expect(response.json()).toEqual({ oidc: null, devSignIn: true });
      expect(
        (await development.app.inject({ method: 'POST', url: '/dev/token', payload: {} })).statusCode,
      ).toBe(200);
    } finally {
      await development.close();
    }
  });
});
