/**
 * Secret values written down in this repository: the development stack's defaults (compose.yaml,
 * CI, the apps' own fallbacks). Anyone who read the repository knows them, so they may protect
 * nothing but a development or test environment. `parseEnv` refuses each of them, in every
 * variable marked `secret()`, unless `NODE_ENV` is `development` or `test` — one list, checked in
 * one place, for every app. `test/published-secrets.test.ts` scans the repository's compose
 * files, env files, workflows, deployment files and documentation, and fails on a literal secret
 * that is not listed here.
 */

/**
 * The api's HS256 secret when `NODE_ENV=development` and `JWT_SECRET` is unset, so a checkout runs
 * with no setup and the `token` command mints tokens the dev server accepts.
 */
export const DEVELOPMENT_JWT_SECRET = 'keelson-development-jwt-secret-never-use-in-production';

/** The service token of the dev profile (compose.yaml) and of the agent's tests. */
export const DEVELOPMENT_SERVICE_TOKEN = 'dev-service-token-change-me-in-production-0000';

/** The dev profile's Postgres password (compose.yaml), also CI's and the test suites'. */
export const DEVELOPMENT_DATABASE_PASSWORD = 'keelson';

/**
 * The api's API_KEY_PEPPER outside production (production requires its own), so API keys work
 * in a checkout with no setup.
 */
export const DEVELOPMENT_API_KEY_PEPPER = 'keelson-development-api-key-pepper-never-use-in-production';

export const PUBLISHED_SECRETS: readonly string[] = [
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_API_KEY_PEPPER,
  DEVELOPMENT_SERVICE_TOKEN,
  DEVELOPMENT_DATABASE_PASSWORD,
];

/** The modes that may run on published values: a developer's machine and the test suites. */
export const PUBLISHED_SECRETS_ALLOWED_IN = ['development', 'test'] as const;

const GENERATE = 'generate one (e.g. `openssl rand -base64 48`)';

/**
 * Why `value` — a secret variable's raw value — must not be used outside development and test,
 * or undefined when it is not a published value. A URL (database, Redis) is checked by its
 * password.
 */
export function publishedSecretReason(value: string): string | undefined {
  if (PUBLISHED_SECRETS.includes(value)) {
    return `is a published default value: anyone who read this repository could use it; ${GENERATE}`;
  }
  const password = urlPassword(value);
  if (password !== undefined && PUBLISHED_SECRETS.includes(password)) {
    return 'carries a password published in this repository (the development one): anyone who read it could use it; give this service its own password';
  }
  return undefined;
}

function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    const { password } = new URL(value);
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}
