import { describe, expect, it } from 'vitest';
import { exists, read, readJson, readYaml, workspacePackages } from './support.ts';

interface PackageJson {
  name: string;
  exports?: Record<string, string | Record<string, string>>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  files?: string[];
}

const packages = workspacePackages().map((dir) => ({
  dir,
  json: readJson<PackageJson>(`${dir}/package.json`),
}));

describe('the workspace', () => {
  it('pins Node 24 and a pnpm version', () => {
    expect(read('.nvmrc').trim()).toBe('24');
    const root = readJson<{ packageManager: string; engines: { node: string } }>('package.json');
    expect(root.packageManager).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
    expect(root.engines.node).toBe('>=24');
  });

  it('names every package in the @repo scope', () => {
    for (const { dir, json } of packages) expect(json.name, dir).toMatch(/^@repo\//);
  });

  it('points every export condition at a file that exists (sources) or that the build emits (dist)', () => {
    for (const { dir, json } of packages) {
      for (const [subpath, target] of Object.entries(json.exports ?? {})) {
        const conditions = typeof target === 'string' ? { default: target } : target;
        for (const [condition, file] of Object.entries(conditions)) {
          if (file.startsWith('./dist/')) {
            // dist/x.js is emitted from src/x.ts: the source must exist.
            const source = file.replace('./dist/', './src/').replace(/\.d\.ts$|\.js$/, '.ts');
            expect(exists(`${dir}/${source}`), `${dir} ${subpath} ${condition} → ${source}`).toBe(true);
          } else {
            expect(exists(`${dir}/${file}`), `${dir} ${subpath} ${condition} → ${file}`).toBe(true);
          }
        }
      }
    }
  });

  it('gives every runtime package a build and ships only compiled JavaScript', () => {
    for (const { dir, json } of packages.filter((p) => p.dir.startsWith('packages/') && p.json.exports)) {
      if (dir === 'packages/testing') continue; // test helpers: never in an image
      expect(json.scripts?.build, dir).toBe('tsc -p tsconfig.build.json');
      expect(json.files, dir).toContain('dist/**/*.js');
      expect(
        json.files?.some((f) => f.includes('src')),
        dir,
      ).toBe(false);
    }
  });

  it('takes shared dependency versions from the catalog', () => {
    const catalog = readYaml<{ catalog: Record<string, string> }>('pnpm-workspace.yaml').catalog;
    for (const { dir, json } of packages) {
      for (const [name, version] of Object.entries({ ...json.dependencies, ...json.devDependencies })) {
        if (name in catalog) expect(version, `${dir} → ${name}`).toBe('catalog:');
      }
    }
  });

  it('gives every package lint and typecheck scripts (run by `pnpm test`)', () => {
    for (const { dir, json } of packages.filter((p) => !p.dir.startsWith('tooling/'))) {
      expect(json.scripts?.lint, dir).toBeDefined();
      expect(json.scripts?.typecheck, dir).toBeDefined();
    }
  });
});
