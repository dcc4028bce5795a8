import { testConfig } from '@repo/testing/vitest';

// The smoke test of the harness: real Postgres, Redis and S3 server (the upload row), as in a full run.
export default testConfig({ services: true, objectStorage: true, timeoutMs: 120_000 });
