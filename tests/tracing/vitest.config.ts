import { testConfig } from '@repo/testing/vitest';

// Real Postgres and Redis (compose.yaml) for the three service processes; start-up of three
// services from their TypeScript sources dominates the time, hence the longer hook timeout.
const config = testConfig({ services: true, timeoutMs: 60_000 });
config.test = { ...config.test, hookTimeout: 120_000 };

export default config;
