import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The shared flat config. Type-aware rules (floating promises, misused promises) catch the bugs
 * that matter most in a service that is all I/O; `process.env` is reserved for config modules so
 * configuration is parsed once, validated, and passed down.
 */
export function config(options = {}) {
  const { envFiles = ['**/src/**/config.ts'] } = options;
  return tseslint.config(
    { ignores: ['**/dist/**', '**/coverage/**', '**/.turbo/**', '**/node_modules/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: {
        globals: globals.node,
        parserOptions: { projectService: true },
      },
      rules: {
        '@typescript-eslint/consistent-type-imports': 'error',
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': 'error',
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        '@typescript-eslint/only-throw-error': 'error',
        // Fastify plugins and hooks are async functions by contract, awaited or not.
        '@typescript-eslint/require-await': 'off',
        'no-restricted-properties': [
          'error',
          {
            object: 'process',
            property: 'env',
            message: 'Read configuration in the config module and pass it down.',
          },
        ],
      },
    },
    {
      // The only places that may read the environment: config modules, tests and tooling scripts.
      files: [...envFiles, '**/test/**', '**/*.config.ts', '**/scripts/**'],
      rules: { 'no-restricted-properties': 'off' },
    },
    {
      // Asymmetric matchers (`expect.any`, `expect.stringMatching`) are typed `any` by design.
      files: ['**/test/**'],
      rules: {
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-member-access': 'off',
        '@typescript-eslint/no-unsafe-argument': 'off',
      },
    },
    {
      files: ['**/*.js', '**/*.mjs'],
      ...tseslint.configs.disableTypeChecked,
    },
  );
}
