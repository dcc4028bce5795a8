import { config } from '@repo/eslint-config';

// Test tooling: reading the environment (DATABASE_URL, REDIS_URL) is its job.
export default config({ envFiles: ['src/**/*.ts'] });
