import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
export const readJson = <T = Record<string, unknown>>(path: string) => JSON.parse(read(path)) as T;
export const readYaml = <T = Record<string, unknown>>(path: string) => parse(read(path)) as T;
export const exists = (path: string) => existsSync(join(ROOT, path));

/** Every file under `dir` (relative to the repository root) whose name ends with `suffix`. */
export function filesUnder(dir: string, suffix: string): string[] {
  if (!exists(dir)) return [];
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(suffix))
    .map((file) => `${dir}/${file}`);
}

/** The `${NAME}` placeholders of a template, in order of first appearance. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((match) => match[1]!))];
}

/** Parses a KEY=value file (comments and blank lines ignored), as example.env is written. */
export function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
