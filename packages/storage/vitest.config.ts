import { testConfig } from '@repo/testing/vitest';

// Integration tests against a real S3 implementation (moto, from compose.yaml's s3-test).
export default testConfig({ objectStorage: true });
