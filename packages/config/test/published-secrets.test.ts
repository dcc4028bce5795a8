import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  configProblems,
  database,
  DEVELOPMENT_DATABASE_PASSWORD,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_SERVICE_TOKEN,
  parseEnv,
  PUBLISHED_SECRETS,
  runtime,
  secret,
} from '../src/index.ts';

const schema = z.object({
  ...runtime,
  ...database,
  TOKEN: secret(z.string()),
  NOT_SECRET: z.string().optional(),
});
const strong = 'k'.repeat(48);
const database_url = 'postgres://app:a-password-of-its-own@db:5432/app';
const problemsOf = (env: Record<string, string | undefined>) => configProblems(() => parseEnv(schema, env));

describe('published secret values', () => {
  it.each([
    ['the development JWT secret', DEVELOPMENT_JWT_SECRET],
    ['the development service token', DEVELOPMENT_SERVICE_TOKEN],
  ])('refuses %s in any secret variable in production, naming the variable only', (_what, value) => {
    const problems = problemsOf({ NODE_ENV: 'production', DATABASE_URL: database_url, TOKEN: value });
    expect(problems).toEqual([
      expect.stringMatching(/^TOKEN: is a published default value: .*NODE_ENV=development or test/),
    ]);
    expect(problems.join('\n')).not.toContain(value);
  });

  it('treats an unset NODE_ENV as production, and says so', () => {
    expect(problemsOf({ DATABASE_URL: database_url, TOKEN: DEVELOPMENT_SERVICE_TOKEN })).toEqual([
      expect.stringMatching(
        /^TOKEN: is a published default value: .*NODE_ENV is unset, which means production/,
      ),
    ]);
    expect(parseEnv(schema, { DATABASE_URL: database_url, TOKEN: strong }).NODE_ENV).toBe('production');
  });

  it('refuses a URL carrying the published database password', () => {
    const url = `postgres://keelson:${DEVELOPMENT_DATABASE_PASSWORD}@db.internal:5432/keelson`;
    expect(problemsOf({ NODE_ENV: 'production', DATABASE_URL: url, TOKEN: strong })).toEqual([
      expect.stringMatching(/^DATABASE_URL: carries a password published in this repository/),
    ]);
  });

  it('accepts them with NODE_ENV=development or test, and in variables that are not secrets', () => {
    const development = {
      DATABASE_URL: `postgres://keelson:${DEVELOPMENT_DATABASE_PASSWORD}@127.0.0.1:5432/keelson`,
      TOKEN: DEVELOPMENT_SERVICE_TOKEN,
    };
    expect(problemsOf({ ...development, NODE_ENV: 'development' })).toEqual([]);
    expect(problemsOf({ ...development, NODE_ENV: 'test' })).toEqual([]);
    expect(
      problemsOf({
        NODE_ENV: 'production',
        DATABASE_URL: database_url,
        TOKEN: strong,
        NOT_SECRET: DEVELOPMENT_SERVICE_TOKEN,
      }),
    ).toEqual([]);
  });
});

/**
 * The list is complete: every literal secret written in the repository's compose files, env files,
 * workflows, deployment files, scripts and documentation is on it. A new one (a dev password, an
 * example token) fails here until it is added to `PUBLISHED_SECRETS`, and production refuses it.
 */
describe('PUBLISHED_SECRETS', () => {
  const ROOT = join(import.meta.dirname, '../../..');
  const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist', '.turbo', 'coverage', 'secrets']);
  // Application and test code define these values (and tests' own) rather than publish defaults.
  const SCANNED = /(\.ya?ml|\.env|\.md|\.sh|\.mjs|\.json|\.cfg|Dockerfile|railway\.ts)$/;

  function* files(dir: string): Generator<string> {
    for (const name of readdirSync(dir)) {
      if (SKIPPED_DIRECTORIES.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        // Test and application sources are code, not configuration; `.railway/railway.ts` is.
        if (['apps', 'packages', 'tooling'].includes(relative(ROOT, path))) continue;
        yield* files(path);
      } else if (SCANNED.test(name) && name !== 'pnpm-lock.yaml' && !name.endsWith('package.json')) {
        yield path;
      }
    }
  }

  /** `NAME: value` / `NAME=value` for a credential-like NAME, and the password of any URL. */
  const ASSIGNMENT =
    /\b([A-Z][A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|API_KEY))["']?\s*[:=]\s*["']?([^\s"'`,;)}]+)/g;
  const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"'`]+:([^\s@/"'`]+)@/g;
  /** Not a literal: an interpolation, a reference, a placeholder, a path to a secret file. */
  const NOT_LITERAL = /^(\$|<|…|\.\.\.|\/|ctx\.|process\.|secret\(|z\.|ref:|fromService|\{)/;

  function literals(text: string): string[] {
    const found = [
      ...[...text.matchAll(ASSIGNMENT)].map((match) => match[2]!),
      ...[...text.matchAll(URL_PASSWORD)].map((match) => match[1]!),
    ];
    return found.filter((value) => !NOT_LITERAL.test(value) && !value.includes('${') && value.length >= 4);
  }

  it('holds every literal secret the repository writes down', () => {
    const unlisted: string[] = [];
    let scanned = 0;
    for (const path of files(ROOT)) {
      scanned += 1;
      for (const value of literals(readFileSync(path, 'utf8'))) {
        if (!PUBLISHED_SECRETS.includes(value)) unlisted.push(`${relative(ROOT, path)}: ${value}`);
      }
    }
    expect(scanned).toBeGreaterThan(20);
    expect(unlisted).toEqual([]);
  });

  it('finds what it looks for (the scanner itself)', () => {
    expect(
      literals(
        [
          'SERVICE_AUTH_TOKEN: dev-service-token-change-me-in-production-0000',
          'POSTGRES_PASSWORD=hunter22',
          'DATABASE_URL: postgres://keelson:keelson@postgres:5432/keelson',
          'JWT_SECRET_FILE: /run/secrets/jwt-secret',
          'OPENAI_API_KEY=… docker compose up',
          'JWT_SECRET: ${JWT_SECRET:-}',
        ].join('\n'),
      ),
    ).toEqual(['dev-service-token-change-me-in-production-0000', 'hunter22', 'keelson']);
  });
});
