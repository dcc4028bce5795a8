import { config } from '@repo/eslint-config';

// bench/run.ts is a tooling entry point: it reads BENCH_CPU_PROFILE from its command line's environment.
export default config({ envFiles: ['**/src/**/config.ts', 'bench/**'] });
