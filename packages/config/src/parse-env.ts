import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { PUBLISHED_SECRETS_ALLOWED_IN, publishedSecretReason } from './published.ts';
import { DEFAULT_NODE_ENV } from './schemas.ts';
import { isSecret } from './secret.ts';

export type Env = Record<string, string | undefined>;

/** Thrown once with every problem found, so an operator fixes the whole environment in one go. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Parses `env` against `schema`. Empty strings count as unset (compose and PaaS dashboards often
 * produce them). Secrets may be read from `NAME_FILE`; setting both forms is an error because the
 * intent is ambiguous. A secret holding a value published in this repository (`published.ts`) is
 * refused unless `NODE_ENV` is `development` or `test` — unset counts as production.
 */
export function parseEnv<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  env: Env,
): z.infer<z.ZodObject<Shape>> {
  const problems: string[] = [];
  // Variables already reported (unreadable file, both forms set) are not reported again as missing.
  const reported = new Set<string>();
  const input: Record<string, string | undefined> = {};

  for (const [name, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const direct = nonEmpty(env[name]);
    const file = nonEmpty(env[`${name}_FILE`]);
    if (file !== undefined && !isSecret(field)) {
      problems.push(`${name}_FILE: ${name} is not a secret; set ${name} directly`);
      reported.add(name);
      continue;
    }
    if (direct !== undefined && file !== undefined) {
      problems.push(`${name}: both ${name} and ${name}_FILE are set; set only one`);
      reported.add(name);
      continue;
    }
    if (file !== undefined) {
      try {
        input[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        problems.push(
          `${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
        reported.add(name);
      }
      continue;
    }
    input[name] = direct;
  }

  problems.push(...publishedSecretProblems(schema, input, env.NODE_ENV, reported));

  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? '(root)');
      if (reported.has(name)) continue;
      const field = schema.shape[name] as z.ZodType | undefined;
      problems.push(`${name}: ${describe(issue, input[name], field)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data as z.infer<z.ZodObject<Shape>>;
}

function publishedSecretProblems(
  schema: z.ZodObject,
  input: Record<string, string | undefined>,
  nodeEnv: string | undefined,
  reported: Set<string>,
): string[] {
  const mode = nonEmpty(nodeEnv) ?? DEFAULT_NODE_ENV;
  if ((PUBLISHED_SECRETS_ALLOWED_IN as readonly string[]).includes(mode)) return [];
  const where =
    nonEmpty(nodeEnv) === undefined
      ? 'NODE_ENV is unset, which means production'
      : `NODE_ENV is ${JSON.stringify(mode)}`;
  const problems: string[] = [];
  for (const [name, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const value = input[name];
    if (value === undefined || reported.has(name) || !isSecret(field)) continue;
    const reason = publishedSecretReason(value);
    if (reason === undefined) continue;
    problems.push(`${name}: ${reason} (accepted only with NODE_ENV=development or test; ${where})`);
    reported.add(name);
  }
  return problems;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function describe(issue: z.core.$ZodIssue, value: string | undefined, field: z.ZodType | undefined): string {
  // A custom rule (e.g. "required in production") explains itself; only a plain missing value is "required".
  if (value === undefined) return issue.code === 'custom' ? issue.message : 'is required but not set';
  const shown = field && isSecret(field) ? '(secret, not shown)' : JSON.stringify(value);
  return `${issue.message} (got ${shown})`;
}

/**
 * The problems `load` reports (`NAME: why`), or none when the environment is valid; any other
 * error is rethrown. For a `config check` step, and for tests that assert on the messages.
 */
export function configProblems(load: () => unknown): readonly string[] {
  try {
    load();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
