import { config } from '@repo/eslint-config';

// Deployment checks are tooling: they read the repository's files and the apps' config modules.
export default config({ envFiles: ['**/*.ts'] });
