import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Resolve workspace packages to their TypeScript sources, as `tsc` and `node --conditions` do. */
const conditions = ['@repo/source', ...defaultServerConditions];

/**
 * The shared vitest config. `services: true` adds the global setup that provides real Postgres
 * and Redis (see global-setup.ts); pure unit-test packages leave it off and start nothing.
 */
export function testConfig(options: { services?: boolean; timeoutMs?: number } = {}): ViteUserConfig {
  return defineConfig({
    ssr: { resolve: { conditions } },
    test: {
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      globalSetup: options.services ? [fileURLToPath(new URL('./global-setup.ts', import.meta.url))] : [],
      testTimeout: options.timeoutMs ?? 30_000,
      hookTimeout: 60_000,
      // Integration tests are I/O-bound; files run in parallel, each in its own database.
      pool: 'forks',
    },
  });
}
