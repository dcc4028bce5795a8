import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, inspect, reportMetric, since } from '../src/compose.ts';
import { ProdStack } from '../src/prod-stack.ts';

const API_PORT_OVERRIDE = fileURLToPath(new URL('../console-api.override.yaml', import.meta.url));
const BASE = 'node:24-trixie-slim';

/**
 * The web console as every platform serves it: by the api image itself at /console/ (its
 * CONSOLE_DIR), on the api's own origin. The prod profile's api, built from docker/api/Dockerfile,
 * reached directly on its published port: the index and every asset it names, their cache and
 * security headers, the gzipped twins, and /v1 beside them. The browser suite (console.test.ts)
 * drives the console itself.
 */
let stack: ProdStack;
let baseUrl: string;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as sent, not decompressed. */
  body: Buffer;
}

/** A GET with exactly these headers (fetch would add accept-encoding and decompress on its own). */
function get(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  stack = await ProdStack.create('keelson-e2e-console-api', [API_PORT_OVERRIDE]);
  await stack.project.down();
  const started = performance.now();
  await stack.project.compose([
    'up',
    '--detach',
    '--build',
    '--wait',
    '--wait-timeout',
    '240',
    '--scale',
    'api-prod=1',
    'api-prod',
  ]);
  reportMetric('console_in_api.up_to_healthy', since(started), 'ms');
  baseUrl = `http://127.0.0.1:${await stack.project.port('api-prod', 3000)}`;
});

afterAll(async () => {
  if (stack) await stack.dispose();
});

describe('the api image serves the web console', () => {
  let assets: string[] = [];

  it('answers /console/ with the index, revalidated on every load, under the console CSP', async () => {
    const response = await get('/console/');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const html = response.body.toString('utf8');
    expect(html).toContain('<div id="root">');
    // Vite's build: the entry script and its stylesheet, by their hashed names under /console/assets/.
    assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((path) => path.endsWith('.js'))).toBe(true);
    expect(assets.some((path) => path.endsWith('.css'))).toBe(true);
    expect((await get('/console')).headers.location).toBe('/console/');
  });

  it('serves every asset the index names, immutable for a year, gzipped to a browser that accepts it', async () => {
    let plainBytes = 0;
    let gzipBytes = 0;
    for (const path of assets) {
      const plain = await get(path);
      expect(plain.status, path).toBe(200);
      expect(plain.headers['cache-control'], path).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-type'], path).toMatch(
        path.endsWith('.js') ? /^application\/javascript/ : /^text\/css/,
      );
      expect(plain.headers['content-encoding'], path).toBeUndefined();
      expect(String(plain.headers['content-security-policy']), path).toContain("script-src 'self'");
      const gzipped = await get(path, { 'accept-encoding': 'gzip, deflate, br' });
      expect(gzipped.status, path).toBe(200);
      expect(gzipped.headers['content-encoding'], path).toBe('gzip');
      expect(gzipped.headers.vary, path).toMatch(/accept-encoding/i);
      expect(gzipped.body.length, path).toBeLessThan(plain.body.length);
      plainBytes += plain.body.length;
      gzipBytes += gzipped.body.length;
    }
    reportMetric('console_in_api.first_load_assets', `${plainBytes} bytes, ${gzipBytes} gzipped`);
    // The source maps stay out of the image: the script's map is a 404.
    const script = assets.find((path) => path.endsWith('.js'))!;
    expect((await get(`${script}.map`)).status).toBe(404);
    expect((await get('/console/assets/missing-00000000.js')).status).toBe(404);
  });

  it('keeps serving /v1 beside it, with the api headers', async () => {
    const token = await stack.token('console-in-api');
    const response = await get('/v1/documents', { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString('utf8'))).toMatchObject({ items: [] });
    expect(String(response.headers['content-security-policy'])).toMatch(/^default-src 'none'/);
    expect((await get('/ready')).status).toBe(200);
  });

  it('costs the image the console build and its twins (measured)', async () => {
    const api = await stack.project.containerId('api-prod');
    const consoleBytes = Number((await docker(['exec', api, 'du', '-sb', '/app/console'])).split('\t')[0]);
    expect(consoleBytes).toBeGreaterThan(0);
    const { Image } = await inspect(api);
    const added =
      (await inspect<{ Size: number }>(Image)).Size - (await inspect<{ Size: number }>(BASE)).Size;
    reportMetric(
      'console_in_api.image',
      `console ${(consoleBytes / 1e6).toFixed(2)} MB; api image ${(added / 1e6).toFixed(1)} MB over ${BASE}`,
    );
  });
});
