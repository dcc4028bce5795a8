import { testConfig } from '@repo/testing/vitest';

// The smoke test of the harness: real Postgres and Redis, as in a full run.
export default testConfig({ services: true, timeoutMs: 120_000 });
