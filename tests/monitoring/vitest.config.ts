import { testConfig } from '@repo/testing/vitest';
import { defineConfig, mergeConfig } from 'vitest/config';

// Docker-backed checks (promtool, amtool, a live Prometheus): generous timeouts. The compose-stack
// suite (test/stack) runs with the container suite, through `test:e2e` (vitest.stack.config.ts).
export default mergeConfig(
  testConfig({ timeoutMs: 120_000 }),
  defineConfig({ test: { exclude: ['test/stack/**', 'node_modules/**'] } }),
);
