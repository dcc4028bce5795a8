import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const MONITORING_DIR = fileURLToPath(new URL('../../../monitoring/', import.meta.url));
