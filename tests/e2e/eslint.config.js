import { config } from '@repo/eslint-config';

// The container suite reads the environment (E2E_KEEP, ports) like any test tooling.
export default config({ envFiles: ['**/*.ts'] });
