import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerfiles, read, ROOT } from './support.ts';

const run = promisify(execFile);

/**
 * The two steps every Dockerfile runs on `pnpm deploy --prod` output before the runtime copies
 * it (docker/slim-node-modules.sh, docker/type-scope-markers.mjs), run on a small pnpm-shaped
 * folder: what they remove or add, and that what is left still loads.
 */
let out: string;

beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'keelson-deploy-'));
});

afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

async function put(path: string, content = ''): Promise<void> {
  await mkdir(dirname(join(out, path)), { recursive: true });
  await writeFile(join(out, path), content);
}

async function files(): Promise<string[]> {
  const { stdout } = await run('find', [out, '(', '-type', 'f', '-o', '-type', 'l', ')']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((path) => relative(out, path))
    .sort();
}

const store = 'node_modules/.pnpm';

// Every Node service's image; docker/web ships static files, docker/radosgw no Node at all.
const nodeImages = dockerfiles().filter(
  (path) => path !== 'docker/web/Dockerfile' && path !== 'docker/radosgw/Dockerfile',
);

it.each(nodeImages)('%s runs both steps on the deploy output before the runtime copies it', (path) => {
  const text = read(path);
  const step = text.indexOf(
    'RUN slim-node-modules.sh /out && node /usr/local/bin/type-scope-markers.mjs /out',
  );
  expect(step).toBeGreaterThan(text.indexOf('deploy --prod /out'));
  expect(step).toBeLessThan(text.indexOf('COPY --from=build /out'));
});

describe('slim-node-modules.sh', () => {
  const slim = (folder: string) => run('sh', [join(ROOT, 'docker/slim-node-modules.sh'), folder]);

  it('drops declarations, type packages, TypeScript, maps, Markdown and test folders; keeps code and licences', async () => {
    const pkg = `${store}/foo@1.0.0/node_modules/foo`;
    for (const keep of [
      'index.js',
      'index.cjs',
      'package.json',
      'LICENSE',
      'LICENSE.md',
      'lib/test.js',
      'data/words.txt',
    ])
      await put(`${pkg}/${keep}`, 'x');
    for (const drop of [
      'index.d.ts',
      'index.d.cts',
      'index.js.map',
      'README.md',
      'CHANGELOG.md',
      'docs/guide.mdx',
      'src/index.ts',
      'src/view.tsx',
      'test/index.test.js',
      '__tests__/a.js',
      'tsconfig.tsbuildinfo',
    ])
      await put(`${pkg}/${drop}`, 'x');
    await put(`${store}/@types+node@24.0.0/node_modules/@types/node/index.d.ts`, 'x');
    await put(`${store}/drizzle@1.0.0/node_modules/drizzle/index.js`, 'x');
    await mkdir(join(out, `${store}/drizzle@1.0.0/node_modules/@types`), { recursive: true });
    await symlink(
      '../../../@types+node@24.0.0/node_modules/@types/node',
      join(out, `${store}/drizzle@1.0.0/node_modules/@types/node`),
    );
    await mkdir(join(out, 'dist'), { recursive: true });
    await writeFile(join(out, 'dist/main.js'), 'x');
    await symlink(`.pnpm/foo@1.0.0/node_modules/foo`, join(out, 'node_modules/foo'));

    const { stdout } = await slim(out);
    expect(stdout).toMatch(/slim-node-modules: .* MB -> .* MB/);
    expect(await files()).toEqual(
      [
        'dist/main.js',
        'node_modules/foo',
        `${pkg}/LICENSE`,
        `${pkg}/LICENSE.md`,
        `${pkg}/data/words.txt`,
        `${pkg}/index.cjs`,
        `${pkg}/index.js`,
        `${pkg}/lib/test.js`,
        `${pkg}/package.json`,
        `${store}/drizzle@1.0.0/node_modules/drizzle/index.js`,
      ].sort(),
    );
  });

  it('refuses a folder that is not a pnpm deploy output', async () => {
    await expect(slim(out)).rejects.toMatchObject({
      stderr: expect.stringContaining('not a pnpm node_modules'),
    });
  });
});

describe('type-scope-markers.mjs', () => {
  const mark = (folder: string) =>
    run(process.execPath, [join(ROOT, 'docker/type-scope-markers.mjs'), folder]);

  /** A package with a manifest over the 64 kB threshold: many exports, like drizzle-orm's. */
  async function largePackage(name: string, manifest: Record<string, unknown>): Promise<string> {
    const exports: Record<string, string> = { '.': './index.js', './core': './core/index.js' };
    for (let i = 0; i < 2_000; i++) exports[`./generated/entry-${i}`] = `./generated/entry-${i}.js`;
    const folder = `${store}/${name}@1.0.0/node_modules/${name}`;
    await put(
      `${folder}/package.json`,
      JSON.stringify({ name, version: '1.0.0', exports, ...manifest }, null, 2),
    );
    await put(`${folder}/index.js`, "export { core, deep } from './core/index.js';\n");
    await put(
      `${folder}/core/index.js`,
      "export { deep } from './columns/deep.js';\nexport const core = 'core';\n",
    );
    await put(`${folder}/core/columns/deep.js`, "export const deep = 'deep';\n");
    await put(`${folder}/assets/logo.svg`, '<svg/>');
    await put(`${folder}/node_modules/.keep`, '');
    return folder;
  }

  it('scopes the JavaScript subfolders of a large ESM package with its own type, and it still loads', async () => {
    const big = await largePackage('big', { type: 'module' });
    await put(
      `${store}/small@1.0.0/node_modules/small/package.json`,
      JSON.stringify({ name: 'small', type: 'module' }),
    );
    await put(`${store}/small@1.0.0/node_modules/small/lib/index.js`, 'export {};\n');
    await symlink(`.pnpm/big@1.0.0/node_modules/big`, join(out, 'node_modules/big'));

    const { stdout } = await mark(out);
    expect(stdout).toContain('big@1.0.0');
    expect(stdout).toContain('1 folders marked');
    expect(JSON.parse(await readFile(join(out, big, 'core/package.json'), 'utf8'))).toEqual({
      type: 'module',
    });
    const marked = (await files()).filter((path) => path.endsWith('package.json'));
    expect(marked).toEqual(
      [
        `${big}/package.json`,
        `${big}/core/package.json`,
        `${store}/small@1.0.0/node_modules/small/package.json`,
      ].sort(),
    );

    // Loaded through its public exports, from outside, as an app would.
    await put(
      'main.mjs',
      "import { core, deep } from 'big';\nimport * as sub from 'big/core';\nconsole.log(core, deep, sub.core);\n",
    );
    const { stdout: loaded } = await run(process.execPath, [join(out, 'main.mjs')]);
    expect(loaded.trim()).toBe('core deep core');
  });

  it('leaves packages alone that have no "type" (Node detects each file) or an "imports" field', async () => {
    const typeless = await largePackage('typeless', {});
    const privateImports = await largePackage('private', {
      type: 'module',
      imports: { '#x': './core/index.js' },
    });
    const { stdout } = await mark(out);
    expect(stdout).toMatch(/typeless: skipped/);
    expect(stdout).toMatch(/private: skipped/);
    const all = await files();
    expect(all).not.toContain(`${typeless}/core/package.json`);
    expect(all).not.toContain(`${privateImports}/core/package.json`);
  });
});
