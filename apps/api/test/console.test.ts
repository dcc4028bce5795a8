import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { configProblems } from '@repo/config';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSecurityHeaders } from '../src/console/console-headers.ts';
import { consoleRoutes } from '../src/console/console-routes.ts';
import { loadConfig } from '../src/config.ts';
import { HELMET_OPTIONS, helmetHeaders } from '../src/plugins/external/security-headers.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

/** A console build as Vite writes it, with the gzipped twins docker/api's build adds. */
function writeConsoleBuild(dir: string) {
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><script type="module" src="./assets/index-Ab12Cd34.js"></script>',
  );
  const script = `console.log(${JSON.stringify('x'.repeat(4_000))});\n`;
  writeFileSync(join(dir, 'assets/index-Ab12Cd34.js'), script);
  writeFileSync(join(dir, 'assets/index-Ab12Cd34.js.gz'), gzipSync(script));
  writeFileSync(join(dir, 'assets/index-Ab12Cd34.css'), 'body { margin: 0 }\n');
  return { script };
}

const CONSOLE_SECURITY_HEADERS = consoleSecurityHeaders();

const consoleHeaders = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(CONSOLE_SECURITY_HEADERS).map((name) => [name, headers[name]]));

describe('the web console served by the api (CONSOLE_DIR)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-console-'));
  const { script } = writeConsoleBuild(dir);
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { CONSOLE_DIR: dir } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/console/ answers index.html, revalidated on every load, with the console CSP and security headers', async () => {
    const response = await t.app.inject('/console/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('./assets/index-Ab12Cd34.js');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(consoleHeaders(response.headers)).toEqual(CONSOLE_SECURITY_HEADERS);
    // HEAD too (a platform's or a person's check).
    const head = await t.app.inject({ method: 'HEAD', url: '/console/' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['cache-control']).toBe('no-cache');
  });

  it('/console redirects to /console/ with a relative Location', async () => {
    const response = await t.app.inject('/console');
    expect(response.statusCode).toBe(301);
    expect(response.headers.location).toBe('/console/');
  });

  it('hashed assets are cached for a year, immutable, gzipped for a client that accepts it', async () => {
    const plain = await t.app.inject('/console/assets/index-Ab12Cd34.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
    expect(consoleHeaders(plain.headers)).toEqual(CONSOLE_SECURITY_HEADERS);

    const gzipped = await t.app.inject({
      url: '/console/assets/index-Ab12Cd34.js',
      headers: { 'accept-encoding': 'gzip, deflate' },
    });
    expect(gzipped.statusCode).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toMatch(/accept-encoding/i);
    expect(gzipped.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(gzipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(script);

    // No twin: the file itself.
    const css = await t.app.inject({
      url: '/console/assets/index-Ab12Cd34.css',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('a missing asset, a twin asked for by name, a path outside the build: the api 404, never index.html', async () => {
    for (const url of [
      '/console/assets/index-00000000.js',
      '/console/assets/index-Ab12Cd34.js.gz',
      '/console/nowhere',
      '/console/../package.json',
      '/console/%2e%2e/package.json',
    ]) {
      const response = await t.app.inject(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toBe('application/problem+json');
    }
  });

  it('the api keeps its own headers everywhere else', async () => {
    const apiPolicy = helmetHeaders(HELMET_OPTIONS)['content-security-policy'];
    expect(apiPolicy).toContain("default-src 'none'");
    const response = await t.app.inject('/health');
    expect(response.headers['content-security-policy']).toBe(apiPolicy);
    expect(response.headers['cache-control']).toBeUndefined();
    const v1 = await t.app.inject({ url: '/v1/documents', headers: await t.auth('alice') });
    expect(v1.statusCode).toBe(200);
    expect(v1.headers['content-security-policy']).toBe(apiPolicy);
  });

  it('sends what docker/web sends from nginx (the Docker host serves the console there)', () => {
    const web = (file: string) => new URL(`../../../docker/web/${file}`, import.meta.url);
    const headersOf = (conf: string) =>
      Object.fromEntries(
        [...conf.matchAll(/^add_header ([\w-]+) "([^"]*)" always;$/gm)].map(([, name, value]) => [
          name!.toLowerCase(),
          value,
        ]),
      );
    // The CSP is written by the image's entrypoint at start (console-csp.sh, from
    // CONSOLE_OIDC_ORIGIN); the other headers are fixed in security-headers.conf.
    const policyWith = (origin: string | undefined) =>
      headersOf(
        execFileSync('bash', [fileURLToPath(web('console-csp.sh')), 'cat', '/tmp/console-csp.conf'], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, ...(origin ? { CONSOLE_OIDC_ORIGIN: origin } : {}) },
        }),
      );
    const fixed = headersOf(readFileSync(web('security-headers.conf'), 'utf8'));
    expect({ ...policyWith(undefined), ...fixed }).toEqual(consoleSecurityHeaders());
    expect({ ...policyWith('https://login.example.com'), ...fixed }).toEqual(
      consoleSecurityHeaders(['https://login.example.com']),
    );
  });
});

describe("the console's CSP with an identity provider", () => {
  it("lets the console's scripts call the origins given, and no other", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keelson-console-'));
    writeConsoleBuild(dir);
    const app = Fastify();
    try {
      await app.register(consoleRoutes, { dir, connectOrigins: ['https://login.example.com'] });
      const response = await app.inject('/console/');
      expect(response.statusCode).toBe(200);
      const policy = String(response.headers['content-security-policy']);
      expect(policy).toContain("connect-src 'self' https://login.example.com;");
      // Only connect-src changes.
      expect(policy.replace(' https://login.example.com', '')).toBe(
        CONSOLE_SECURITY_HEADERS['content-security-policy'],
      );
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('without CONSOLE_DIR', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('there is no console: /console/ is a 404', async () => {
    expect(t.config.CONSOLE_DIR).toBeUndefined();
    for (const url of ['/console/', '/console']) {
      const response = await t.app.inject(url);
      expect(response.statusCode, url).toBe(404);
    }
  });
});

describe('the api config: CONSOLE_DIR', () => {
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL: 'postgres://u:p@127.0.0.1:9/app',
    REDIS_URL: 'redis://127.0.0.1:9',
  };
  const problemsOf = (value: string) => configProblems(() => loadConfig({ ...env, CONSOLE_DIR: value }));

  it('is optional, and empty means unset', () => {
    expect(loadConfig(env).CONSOLE_DIR).toBeUndefined();
    expect(loadConfig({ ...env, CONSOLE_DIR: '' }).CONSOLE_DIR).toBeUndefined();
  });

  it('refuses a relative path and a folder without index.html, naming the variable', () => {
    expect(problemsOf('apps/web/dist')).toEqual([
      expect.stringMatching(/^CONSOLE_DIR: must be an absolute path/),
    ]);
    const empty = mkdtempSync(join(tmpdir(), 'keelson-console-empty-'));
    try {
      expect(problemsOf(empty)).toEqual([expect.stringMatching(/^CONSOLE_DIR: has no index\.html/)]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
