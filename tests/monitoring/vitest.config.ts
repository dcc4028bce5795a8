import { testConfig } from '@repo/testing/vitest';
import { defineConfig, mergeConfig } from 'vitest/config';

// Docker-backed checks (promtool, amtool, a live Prometheus): generous timeouts. The compose-stack
// suite (test/stack) runs with the container suite, through `test:e2e` (vitest.stack.config.ts).
// The global setup builds the Debian unstable Prometheus 3 and Alertmanager images (images/).
export default mergeConfig(
  testConfig({ timeoutMs: 120_000 }),
  defineConfig({
    test: {
      exclude: ['test/stack/**', 'node_modules/**'],
      globalSetup: ['src/global-setup.ts'],
      // The first build downloads Debian unstable's package lists and three packages.
      hookTimeout: 600_000,
    },
  }),
);
