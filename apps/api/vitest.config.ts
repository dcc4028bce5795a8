import { testConfig } from '@repo/testing/vitest';

// Integration tests: real Postgres, Redis and S3 (moto) from the project's compose file.
export default testConfig({ services: true, objectStorage: true });
