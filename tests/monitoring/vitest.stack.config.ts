import { testConfig } from '@repo/testing/vitest';

// The live check against the whole compose stack (apps + monitoring profile): builds the images,
// so it belongs with the container suite. See test/stack/stack.test.ts.
const config = testConfig({ timeoutMs: 300_000 });
config.test = {
  ...config.test,
  // Replaces (not extends) the shared include: only the stack suite runs here.
  include: ['test/stack/**/*.test.ts'],
  hookTimeout: 900_000,
  fileParallelism: false,
};

export default config;
