import { testConfig } from '@repo/testing/vitest';

// Integration tests: real Postgres and Redis from the project's compose file.
export default testConfig({ services: true });
