import { testConfig } from '@repo/testing/vitest';

// Integration tests: real Postgres (usage rows) and the fake model server over HTTP.
export default testConfig({ services: true });
