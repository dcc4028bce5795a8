import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createTestBucket, freePort, waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, TEST_JWT_SECRET, TEST_SERVICE_TOKEN, type TestApp } from './support/test-app.ts';

/**
 * The api listens before it imports what only some requests need (startup/deferred.ts): BullMQ,
 * the S3 client, file-type, the MCP SDK and undici (the agent's client) are loaded once the server listens — or by the first
 * request that needs one, which the other test files cover through `app.inject` (which never
 * listens). Here a real api process, with a preload that reports when each package's first
 * module loads.
 */

vi.setConfig({ testTimeout: 120_000 });

let t: TestApp;
let s3Env: Record<string, string>;
let api: ChildProcess | undefined;

beforeAll(async () => {
  const bucket = await createTestBucket('deferred');
  s3Env = bucket.env;
  t = await createTestApp({ env: bucket.env });
});
afterAll(async () => {
  if (api && api.exitCode === null) {
    api.kill('SIGTERM');
    await once(api, 'exit');
  }
  await t?.close();
});

interface Line {
  msg?: string;
  module?: string;
  /** The preload's lines (stderr): a package's first module loaded, a server listening. */
  deferredModule?: string;
  listening?: number;
}

describe('start-up', () => {
  it('listens before BullMQ, the S3 client, file-type, the MCP SDK and undici are imported, then imports all but file-type without a request', async () => {
    const port = await freePort();
    api = spawn(
      process.execPath,
      // As the image starts it (the telemetry preload first), from the TypeScript sources.
      [
        '--conditions=@repo/source',
        '--import=@repo/telemetry/register',
        '--import=./test/fixtures/watch-deferred-modules.mjs',
        'src/main.ts',
      ],
      {
        cwd: new URL('..', import.meta.url),
        env: {
          ...t.processEnv,
          JWT_SECRET: TEST_JWT_SECRET,
          // The agent's client is made (and undici loaded) without a connection to it.
          AGENT_URL: 'http://127.0.0.1:9',
          SERVICE_AUTH_TOKEN: TEST_SERVICE_TOKEN,
          HOST: '127.0.0.1',
          PORT: String(port),
          METRICS_PORT: String(await freePort()),
          LOG_LEVEL: 'debug',
          ...s3Env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // The log (stdout) and the preload's lines (stderr), each in the order it was written.
    const log: Line[] = [];
    const preload: Line[] = [];
    let output = '';
    for (const [stream, lines] of [
      [api.stdout!, log],
      [api.stderr!, preload],
    ] as const) {
      createInterface({ input: stream }).on('line', (line) => {
        output += `${line}\n`;
        try {
          lines.push(JSON.parse(line) as Line);
        } catch {
          // Not JSON: kept in `output` for the failure message.
        }
      });
    }

    await waitFor(() => log.some((line) => line.msg === `Server listening at http://127.0.0.1:${port}`), {
      timeoutMs: 60_000,
      what: `the api to listen (output so far: ${output.slice(-2_000)})`,
    });
    // Each warm-up says it finished; none failed.
    const warmed = ['bullmq', 'object storage', 'mcp', 'undici'];
    await waitFor(
      () =>
        warmed.every((name) =>
          log.some((line) => line.msg === 'loaded after listening' && line.module === name),
        ),
      { timeoutMs: 30_000, what: `the deferred modules to load (output: ${output.slice(-2_000)})` },
    );
    expect(log.filter((line) => line.msg === 'could not load after listening')).toEqual([]);

    // And none of them was loaded before the server listened: on the preload's one stream, each
    // package's first load comes after the api's port was listening (file-type: not at all).
    const listened = preload.findIndex((line) => line.listening === port);
    expect(listened, output.slice(-2_000)).toBeGreaterThan(-1);
    const loads = preload.filter((line) => line.deferredModule !== undefined);
    expect(loads.map((line) => line.deferredModule).sort()).toEqual([
      'bullmq',
      'mcp-sdk',
      's3-client',
      'undici',
    ]);
    for (const load of loads) {
      expect(preload.indexOf(load), load.deferredModule).toBeGreaterThan(listened);
    }

    // The process serves what needed them: an enqueue (a document's ingestion job) goes through.
    const created = await fetch(`http://127.0.0.1:${port}/v1/documents`, {
      method: 'POST',
      headers: { ...(await t.auth('deferred-owner')), 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Deferred', content: 'Queued by a process that loaded BullMQ late.' }),
    });
    expect(created.status).toBe(202);
  });
});
