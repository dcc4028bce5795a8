import { testConfig } from '@repo/testing/vitest';

// Real Postgres and Redis (from compose.yaml): the trace test runs pg and ioredis against them.
export default testConfig({ services: true, timeoutMs: 60_000 });
