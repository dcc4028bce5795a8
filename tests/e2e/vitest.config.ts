import { defineConfig } from 'vitest/config';

// Containers are slow and shared: one file at a time, generous timeouts, no retries that could
// hide a flaky recovery.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 900_000,
  },
});
