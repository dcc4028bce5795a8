import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Resolve workspace packages to their TypeScript sources, as `tsc` and `node --conditions` do,
 * and everything else as Node resolves it at run time. Vite's `module` condition is left out: it
 * is a bundlers' convention Node ignores, and packages such as the AWS SDK point it at builds
 * only a bundler can load (extensionless imports).
 */
const conditions = ['@repo/source', ...defaultServerConditions.filter((condition) => condition !== 'module')];

/**
 * The shared vitest config. `services: true` adds the global setup that provides real Postgres
 * and Redis (see global-setup.ts), `objectStorage: true` the one that provides an S3 server
 * (global-setup-object-storage.ts); pure unit-test packages leave both off and start nothing.
 */
export function testConfig(
  options: { services?: boolean; objectStorage?: boolean; timeoutMs?: number } = {},
): ViteUserConfig {
  const setups = [
    ...(options.services ? ['./global-setup.ts'] : []),
    ...(options.objectStorage ? ['./global-setup-object-storage.ts'] : []),
  ];
  return defineConfig({
    ssr: { resolve: { conditions } },
    test: {
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      globalSetup: setups.map((file) => fileURLToPath(new URL(file, import.meta.url))),
      testTimeout: options.timeoutMs ?? 30_000,
      hookTimeout: 60_000,
      // Integration tests are I/O-bound; files run in parallel, each in its own database.
      pool: 'forks',
    },
  });
}
