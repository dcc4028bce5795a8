import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, docker, inspect, REPO_ROOT, reportMetric, since } from '../src/compose.ts';

const run = promisify(execFile);

/**
 * Image hygiene of every app image, inspected as shipped: the configuration (user, healthcheck),
 * the history (what each layer was made by), every file of every layer (`docker save`: a file
 * added in one layer and deleted in a later one is still in the image), and the final filesystem
 * (`docker create` + `docker export`).
 */
const IMAGES = {
  api: 'keelson/api:local',
  'task-runner': 'keelson/task-runner:local',
  agent: 'keelson/agent:local',
} as const;
const BASE = 'node:24-trixie-slim';

/** Tools that must never ship, whoever depends on them. */
const TOOLCHAIN = [
  'vitest',
  '@vitest/runner',
  'vite',
  'typescript',
  'eslint',
  'typescript-eslint',
  '@typescript-eslint/parser',
  'prettier',
  'drizzle-kit',
  'turbo',
  'esbuild',
  'fast-check',
  'pino-pretty',
  'tsx',
];

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function manifest(folder: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(REPO_ROOT, folder, 'package.json'), 'utf8')) as Manifest;
}

/**
 * The dev dependencies of an app and of the workspace packages it runs with, minus anything one of
 * them needs in production (a package may be a dev dependency of one and a dependency of another).
 */
async function devOnlyDependencies(app: string): Promise<string[]> {
  const folders = new Map<string, string>();
  for (const group of ['packages', 'apps', 'tests']) {
    for (const entry of (await run('ls', [join(REPO_ROOT, group)])).stdout.split('\n').filter(Boolean)) {
      try {
        folders.set((await manifest(`${group}/${entry}`)).name, `${group}/${entry}`);
      } catch {
        // not a package
      }
    }
  }
  const dev = new Set<string>();
  const prod = new Set<string>();
  const queue = [`apps/${app}`];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const folder = queue.pop()!;
    if (seen.has(folder)) continue;
    seen.add(folder);
    const pkg = await manifest(folder);
    for (const name of Object.keys(pkg.devDependencies ?? {})) dev.add(name);
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      prod.add(name);
      if (folders.has(name)) queue.push(folders.get(name)!);
    }
  }
  return [...dev].filter((name) => !prod.has(name));
}

/**
 * The packages that depend on `name` in a pnpm layout: a link
 * `node_modules/.pnpm/<parent>/node_modules/<name>` exists for each one (`.pnpm/node_modules` is
 * pnpm's hoisting folder, not a dependent).
 */
function dependentsOf(paths: string[], name: string): string[] {
  const own = `${name.replace('/', '+')}@`;
  const parents = new Set<string>();
  for (const path of paths) {
    const match = /^app\/node_modules\/\.pnpm\/([^/]+)\/node_modules\/(.+)$/.exec(path);
    if (match && match[2] === name && match[1] !== 'node_modules' && !match[1]!.startsWith(own)) {
      parents.add(match[1]!);
    }
  }
  return [...parents];
}

/** Package names installed in an image, from the paths of its files. */
function installedPackages(paths: string[]): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/.@][^/]*)\/package\.json$/.exec(path);
    if (match) names.add(match[1]!);
  }
  return names;
}

/** Every path of every layer of an image, with the layer's index. */
async function layerFiles(image: string, dir: string): Promise<{ layer: number; path: string }[]> {
  const archive = join(dir, 'image.tar');
  await docker(['save', '-o', archive, image]);
  await run('tar', ['-xf', archive, '-C', dir, 'manifest.json']);
  const [{ Layers }] = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as [
    { Layers: string[] },
  ];
  const files: { layer: number; path: string }[] = [];
  for (const [index, layer] of Layers.entries()) {
    const { stdout } = await run('sh', ['-c', `tar -xOf "${archive}" "${layer}" | tar -t`], {
      maxBuffer: 256 * 1024 * 1024,
    });
    // Layers made by `docker import` list paths as `./etc/…`, the others as `etc/…`.
    for (const path of stdout.split('\n').filter(Boolean))
      files.push({ layer: index, path: path.replace(/^\.\//, '') });
  }
  await rm(archive);
  return files;
}

/** Every path of the image's final filesystem. */
async function finalFiles(image: string): Promise<string[]> {
  const container = await docker(['create', image]);
  try {
    const { stdout } = await run('sh', ['-c', `docker export "${container}" | tar -t`], {
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout.split('\n').filter(Boolean);
  } finally {
    await docker(['rm', container]);
  }
}

/** What no layer may contain. Each rule: a name, and a test on the path. */
const FORBIDDEN: [string, (path: string) => boolean][] = [
  ['a .env file', (p) => /(^|\/)\.env(\.[^/]*)?$/.test(p)],
  [
    'a private key or keystore',
    (p) =>
      /(^|\/)(id_rsa|id_ecdsa|id_ed25519)[^/]*$|\.(key|p12|pfx|jks)$/.test(p) ||
      (p.endsWith('.pem') && !/^(etc\/ssl|usr\/share\/ca-certificates|usr\/lib\/ssl)\//.test(p)),
  ],
  ['our secrets folder', (p) => /(^|\/)secrets\//.test(p) && !p.startsWith('usr/')],
  [
    'a package-manager cache',
    (p) => /(^|\/)(\.npm|\.pnpm-store|\.cache|\.yarn)\/|^pnpm\/store\/|\.local\/share\/pnpm\//.test(p),
  ],
  ['a .git folder', (p) => /(^|\/)\.git\//.test(p)],
  // Our own code ships compiled: no TypeScript of ours (outside node_modules, or our workspace
  // packages inside it), no tests, no sources folder.
  [
    'our TypeScript',
    (p) => /\.(ts|mts|cts|tsx)$/.test(p) && (!p.includes('node_modules/') || p.includes('/@repo/')),
  ],
  [
    'our tests',
    (p) =>
      p.startsWith('app/') &&
      !p.includes('node_modules/') &&
      /(^|\/)(test|tests|__tests__)\/|\.test\.js$/.test(p),
  ],
  [
    'our workspace sources',
    (p) => /node_modules\/@repo\/[^/]+\/(src|test)\//.test(p) || /^app\/src\//.test(p),
  ],
  [
    'a tsconfig or vitest config',
    (p) =>
      p.startsWith('app/') &&
      /(^|\/)(tsconfig[^/]*\.json|vitest\.config\.[jt]s)$/.test(p) &&
      !p.includes('node_modules/.pnpm/'),
  ],
];

describe('the hygiene rules', () => {
  it('catch what they are meant to', () => {
    const bad = [
      'app/.env',
      'app/.env.production',
      'home/node/.ssh/id_ed25519',
      'app/certs/server.key',
      'app/secrets/jwt-secret',
      'root/.npm/_cacache/index-v5/00/aa',
      'root/.cache/node/corepack/v1/pnpm/11.0.0/bin/pnpm.cjs',
      'pnpm/store/v11/files/00/abc',
      'root/.local/share/pnpm/store/v11/x',
      'repo/.git/HEAD',
      'app/src/main.ts',
      'app/dist/main.ts',
      'app/node_modules/.pnpm/@repo+db@file++++repo+packages+db/node_modules/@repo/db/dist/index.d.ts',
      'app/node_modules/.pnpm/@repo+db@file++++repo+packages+db/node_modules/@repo/db/src/index.js',
      'app/test/app.test.js',
      'app/tsconfig.json',
    ];
    for (const path of bad)
      expect(
        FORBIDDEN.some(([, matches]) => matches(path)),
        path,
      ).toBe(true);
    const fine = [
      'etc/ssl/certs/ISRG_Root_X1.pem',
      'app/dist/main.js',
      'app/node_modules/.pnpm/zod@4.6.7/node_modules/zod/index.d.ts',
      'app/node_modules/.pnpm/@ai-sdk+openai@3.0.0/node_modules/@ai-sdk/openai/src/openai-provider.ts',
      'usr/local/lib/node_modules/corepack/dist/corepack.js',
    ];
    for (const path of fine)
      expect(
        FORBIDDEN.some(([, matches]) => matches(path)),
        path,
      ).toBe(false);
  });
});

describe('app images', () => {
  let dir: string;
  let baseSize: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keelson-e2e-images-'));
    // The prod profile names exactly these images; building them is a no-op when they are current.
    const project = new ComposeProject('keelson-e2e-images', { profiles: ['prod'] });
    const started = performance.now();
    await project.compose(['build', 'api-prod', 'task-runner-prod', 'agent-prod']);
    reportMetric('images.build', since(started), 'ms');
    baseSize = (await inspect<{ Size: number }>(BASE)).Size;
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe.each(Object.entries(IMAGES))('%s', (app, image) => {
    it('runs as a non-root user, with a HEALTHCHECK, tini as PID 1 and nothing secret in its config', async () => {
      const config = (
        await inspect<{
          Size: number;
          Config: { User: string; Healthcheck?: { Test: string[] }; Entrypoint: string[]; Env: string[] };
        }>(image)
      ).Config;
      expect(config.User).toBe('node');
      expect(await docker(['run', '--rm', '--entrypoint', 'id', image, '-u'])).toBe('1000');
      expect(config.Healthcheck?.Test[0]).toBe('CMD');
      expect(config.Entrypoint).toEqual(['/usr/bin/tini', '--']);
      expect(
        config.Env.filter((e) => /SECRET|TOKEN|PASSWORD|API_KEY|PRIVATE_KEY/i.test(e.split('=')[0]!)),
      ).toEqual([]);
    });

    it('records no secret and no package-manager store in its history', async () => {
      const history = await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', image]);
      expect(history).not.toMatch(/JWT_SECRET=|SERVICE_AUTH_TOKEN=|PASSWORD=|API_KEY=/);
      // The store was a BuildKit cache mount of the build stage, never a layer of this image.
      expect(history).not.toMatch(/pnpm install|pnpm\/store/);
    });

    it('contains, in no layer, a .env, keys, caches, our sources or tests', async () => {
      const files = await layerFiles(image, dir);
      const found: string[] = [];
      for (const { layer, path } of files) {
        for (const [what, matches] of FORBIDDEN)
          if (matches(path)) found.push(`${what}: ${path} (layer ${layer})`);
      }
      expect(found).toEqual([]);
      reportMetric(`images.${app}.files`, files.length, 'paths in all layers');
    });

    it('ships no dev dependency: the final filesystem holds production packages only', async () => {
      const files = await finalFiles(image);
      const installed = installedPackages(files.filter((path) => path.startsWith('app/')));
      expect(installed.size).toBeGreaterThan(10);
      const devOnly = await devOnlyDependencies(app);
      expect(devOnly).toContain('vitest');
      // The toolchain never, whoever pulls it in.
      expect(TOOLCHAIN.filter((name) => installed.has(name))).toEqual([]);
      // Our dev dependencies only where a production package needs them itself (e.g. drizzle-orm
      // resolves its @types/pg peer): never as a dependency of the app, never unreferenced.
      const shipped = devOnly.filter((name) => installed.has(name));
      const wrong = shipped.filter(
        (name) => files.includes(`app/node_modules/${name}`) || dependentsOf(files, name).length === 0,
      );
      expect(wrong).toEqual([]);
      if (shipped.length > 0) {
        reportMetric(
          `images.${app}.transitive_dev_names`,
          shipped.map((name) => `${name} (via ${dependentsOf(files, name)[0]})`).join(', '),
        );
      }
      // Only what runs (docker/slim-node-modules.sh): no declarations, type packages or source maps.
      expect(
        files.filter((p) => p.startsWith('app/node_modules/') && /\.d\.[cm]?ts$|\.map$|\/@types\//.test(p)),
      ).toEqual([]);
      // Compiled JavaScript, the manifest, the lockfile deploy wrote: no sources, no build config.
      const allowed = ['app/README.md', 'app/package.json', 'app/pnpm-lock.yaml', 'app/pnpm-workspace.yaml'];
      expect(files.filter((p) => /^app\/[^/]+$/.test(p) && !allowed.includes(p))).toEqual([]);
      expect(files).toContain('app/dist/main.js');
      // Node's compile cache, filled at build time for the user the app runs as (node, uid 1000).
      expect(files.some((p) => /^app\/\.compile-cache\/v\d+[^/]*-1000\/./.test(p))).toBe(true);

      const size = (await inspect<{ Size: number }>(image)).Size;
      reportMetric(
        `images.${app}.size`,
        `${(size / 1e6).toFixed(1)} MB, ${((size - baseSize) / 1e6).toFixed(1)} MB over ${BASE}`,
      );
    });
  });
});
