import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './support/otlp-receiver.ts';
import { PACKAGE_DIR, startService } from './support/service-process.ts';

const run = promisify(execFile);

/**
 * What the images run: `tsc -p tsconfig.build.json` output, loaded by plain `node` with no
 * source condition. Built into a temporary folder whose node_modules points at this package's,
 * so bare imports resolve exactly as they do in the deployed package.
 */
describe('the compiled register module (dist/register.js)', () => {
  let dir: string;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'telemetry-dist-'));
    await run(process.execPath, [
      join(PACKAGE_DIR, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(PACKAGE_DIR, 'tsconfig.build.json'),
      '--outDir',
      join(dir, 'dist'),
    ]);
    await symlink(join(PACKAGE_DIR, 'node_modules'), join(dir, 'node_modules'), 'dir');
    receiver = await startOtlpReceiver();
  }, 120_000);

  afterAll(async () => {
    await receiver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('contains only JavaScript imports (every relative .ts specifier rewritten to .js)', async () => {
    const files = (await readdir(join(dir, 'dist'))).filter((file) => file.endsWith('.js'));
    expect(files).toEqual(
      expect.arrayContaining(['register.js', 'index.js', 'queue.js', 'sdk.js', 'config.js']),
    );
    for (const file of files) {
      const source = await readFile(join(dir, 'dist', file), 'utf8');
      expect(source, file).not.toMatch(/from '\.[^']*\.ts'|import\('\.[^']*\.ts'\)/);
    }
  });

  it('traces a Fastify + pg service started with node --import dist/register.js', async () => {
    const service = await startService({
      script: 'minimal-service.ts',
      sources: false,
      preload: pathToFileURL(join(dir, 'dist/register.js')).href,
      env: {
        DATABASE_URL: inject('databaseUrl'),
        OTEL_SERVICE_NAME: 'minimal-service',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    expect((await fetch(`${service.address}/ping`)).status).toBe(200);
    const query = await waitFor(
      () => receiver.spans.find((s) => s.scope === '@opentelemetry/instrumentation-pg'),
      {
        what: 'the pg span',
      },
    );
    await service.stop();

    const byId = new Map(receiver.spans.map((span) => [span.spanId, span]));
    const handler = byId.get(query.parentSpanId);
    const request = handler && byId.get(handler.parentSpanId);
    const server = request && byId.get(request.parentSpanId);
    expect([handler?.scope, request?.scope, server?.scope]).toEqual([
      '@fastify/otel',
      '@fastify/otel',
      '@opentelemetry/instrumentation-http',
    ]);
    expect(server?.service).toBe('minimal-service');
  });
});
