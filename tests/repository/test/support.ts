import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
export const readJson = <T = Record<string, unknown>>(path: string) => JSON.parse(read(path)) as T;
export const readYaml = <T = Record<string, unknown>>(path: string) => parse(read(path)) as T;
export const exists = (path: string) => existsSync(join(ROOT, path));

/** Every workspace package folder (apps/*, packages/*, tooling/*, tests/*). */
export function workspacePackages(): string[] {
  return ['apps', 'packages', 'tooling', 'tests'].flatMap((group) =>
    readdirSync(join(ROOT, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, group, entry.name, 'package.json')))
      .map((entry) => `${group}/${entry.name}`),
  );
}

export const dockerfiles = () =>
  readdirSync(join(ROOT, 'docker'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, 'docker', entry.name, 'Dockerfile')))
    .map((entry) => `docker/${entry.name}/Dockerfile`);
