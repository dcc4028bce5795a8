import { config } from '@repo/eslint-config';

// Repository checks are tooling: no app configuration to protect.
export default config({ envFiles: ['**/*.ts'] });
