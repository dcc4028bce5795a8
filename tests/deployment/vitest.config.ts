import { testConfig } from '@repo/testing/vitest';
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';

const shared = testConfig();

export default mergeConfig(
  {
    ...shared,
    // The shared conditions include `module`, which sends @aws-sdk/* to its extension-less ESM
    // build that Node cannot load; these checks only need sources (`@repo/source`) and Node builds.
    ssr: { resolve: { conditions: ['@repo/source', 'node'] } },
  },
  {
    // `.railway/railway.ts` imports `railway/iac` from the repository root, where Railway's CLI
    // expects the SDK to be installed. This package carries the SDK, so resolve it from here.
    resolve: { alias: { 'railway/iac': fileURLToPath(import.meta.resolve('railway/iac')) } },
  },
);
