import { defineConfig } from 'vitest/config';

// Unit tests of the console's pure logic and the generated client's freshness; the console in a
// real browser against the real stack is tests/e2e/test/console.test.ts.
export default defineConfig({ test: { include: ['test/**/*.test.ts'] } });
