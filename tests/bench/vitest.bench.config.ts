import { testConfig } from '@repo/testing/vitest';
import { defineConfig } from 'vitest/config';

const shared = testConfig({ services: true, objectStorage: true, timeoutMs: 1_800_000 });

// `pnpm bench`: the full run only (bench/run.ts), not the smoke test; include replaces, not appends.
export default defineConfig({ ...shared, test: { ...shared.test, include: ['bench/**/*.ts'] } });
