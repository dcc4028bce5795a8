import { testConfig } from '@repo/testing/vitest';

export default testConfig();
