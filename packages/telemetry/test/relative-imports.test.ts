import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/**
 * A module graph with every case the fast path must answer as Node does, or leave to Node: ESM
 * scopes, a CommonJS scope inside one, a scope with no type (Node detects the format), a symlink,
 * a folder named like a module, a missing file, an encoded slash, and a bare specifier.
 */
const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'fixture', type: 'module' }),
  'main.js': `
    import { seen } from './lib/a.js';
    import legacy from './legacy/old.js';
    import { detected } from './typeless/t.js';
    import { viaLink } from './lib/linked.js';
    import { pkg } from 'fixture-pkg';
    const failures = {};
    for (const specifier of ['./missing.js', './folder.js', './lib/%2Fa.js', './lib/a.js?x=1', './lib/b.js?v=.js', './lib/b.js#x.js']) {
      try { await import(specifier); failures[specifier] = 'loaded'; }
      catch (error) { failures[specifier] = error.code; }
    }
    const instances = [];
    for (const specifier of ['./lib/b.js', './lib/b.js?v=.js', './lib/b.js#x.js']) {
      const { b } = await import(specifier);
      instances.push('file' + b.slice(b.indexOf('/lib/b.js') + '/lib/b.js'.length));
    }
    const counted = process.env.COUNT
      ? (await import(process.env.COUNT)).relativeImportsResolved()
      : undefined;
    console.log(JSON.stringify({ seen, legacy, detected, viaLink, pkg, failures, instances, counted }));
  `,
  'lib/a.js': `import { b } from './b.js'; import { c } from '../shared/c.js';
    export const seen = [import.meta.url, b, c];`,
  'lib/b.js': `export const b = import.meta.url;`,
  'shared/c.js': `export const c = import.meta.url;`,
  'real/target.js': `export const viaLink = import.meta.url;`,
  'legacy/package.json': JSON.stringify({ type: 'commonjs' }),
  'legacy/old.js': `module.exports = { format: typeof require, file: __filename };`,
  'typeless/package.json': JSON.stringify({ name: 'typeless' }),
  'typeless/t.js': `export const detected = import.meta.url;`,
  'folder.js/index.js': `export default 1;`,
  'node_modules/fixture-pkg/package.json': JSON.stringify({
    name: 'fixture-pkg',
    type: 'module',
    exports: './index.js',
  }),
  'node_modules/fixture-pkg/index.js': `export { pkg } from './inner.js';`,
  'node_modules/fixture-pkg/inner.js': `export const pkg = import.meta.url;`,
};

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'relative-imports-'));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  symlinkSync(join(root, 'real/target.js'), join(root, 'lib/linked.js'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function load(preload: string[], env: Record<string, string> = {}) {
  const { stdout } = await run(
    process.execPath,
    [...preload.flatMap((module) => ['--import', module]), join(root, 'main.js')],
    { cwd: root, env: { PATH: process.env.PATH, ...env } },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('the register preload, tracing off', () => {
  it('resolves relative imports exactly as Node does, and takes the fast path for ES modules', async () => {
    const count = join(src, 'relative-imports.ts');
    const plain = await load([]);
    const fast = await load([join(src, 'register.ts')], { COUNT: count });

    expect({ ...fast, counted: undefined }).toEqual(plain);
    // Node's answers themselves: real paths, the CommonJS scope, detection, Node's errors.
    expect(plain.viaLink).toMatch(/\/real\/target\.js$/);
    expect(plain.legacy).toMatchObject({ format: 'function' });
    expect(plain.failures).toEqual({
      './missing.js': 'ERR_MODULE_NOT_FOUND',
      './folder.js': 'ERR_UNSUPPORTED_DIR_IMPORT',
      './lib/%2Fa.js': 'ERR_INVALID_MODULE_SPECIFIER',
      './lib/a.js?x=1': 'loaded',
      './lib/b.js?v=.js': 'loaded',
      './lib/b.js#x.js': 'loaded',
    });
    // A query or a fragment is another module instance, in Node's answer and in the preload's.
    expect(plain.instances).toEqual(['file', 'file?v=.js', 'file#x.js']);
    // In the ESM scopes: main → a, a → b, a → c, main → linked, fixture-pkg's index → inner,
    // b and c again from `a.js?x=1` (another module instance), and main → b. legacy/ and typeless/
    // went to Node's resolver, and so did the failures and the queries and fragments.
    expect(fast.counted).toBe(8);
  });

  it('stays out of the way with tracing on, where the SDK hooks every import', async () => {
    const count = join(src, 'relative-imports.ts');
    const traced = await load([join(src, 'register.ts')], {
      COUNT: count,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_SDK_DISABLED: 'false',
    });
    expect(traced.counted).toBe(0);
  });
});
