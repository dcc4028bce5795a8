import { testConfig } from '@repo/testing/vitest';
import { defineConfig, mergeConfig } from 'vitest/config';

// The live check against the whole compose stack (apps + monitoring profile): builds the images,
// so it belongs with the container suite. See test/stack/stack.test.ts.
export default mergeConfig(
  testConfig({ timeoutMs: 300_000 }),
  defineConfig({
    test: { include: ['test/stack/**/*.test.ts'], hookTimeout: 900_000, fileParallelism: false },
  }),
);
