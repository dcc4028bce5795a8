import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseDocument, stringify } from 'yaml';
import { allowListProblems } from '../src/audit-allow-list.ts';
import { filesUnder, read, readJson, readYaml, ROOT } from '../src/repository.ts';
import { FakeAdvisories } from './support/fake-advisories.ts';

/** The GitHub Actions workflows users get: they parse, pin every action, and run real scripts. */

interface Step {
  uses?: string;
  run?: string;
}
interface Job {
  permissions?: Record<string, string>;
  services?: Record<string, { image: string }>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflowFiles = filesUnder('.github/workflows', '.yml');
const workflows = workflowFiles.map((file) => ({ file, workflow: readYaml<Workflow>(file) }));
const steps = workflows.flatMap(({ file, workflow }) =>
  Object.entries(workflow.jobs).flatMap(([job, { steps }]) =>
    steps.map((step) => ({ where: `${file} ${job}`, step })),
  ),
);

const scriptsOf = (dir: string) =>
  readJson<{ scripts?: Record<string, string> }>(`${dir}/package.json`).scripts ?? {};

/** pnpm's own commands: `pnpm <these>` runs pnpm, not a package.json script. */
const PNPM_COMMANDS = new Set([
  'install',
  'i',
  'add',
  'store',
  'exec',
  'dlx',
  'run',
  'deploy',
  'turbo',
  'why',
  'list',
  'audit',
]);

/** The advisory check of ci.yml, exactly: production dependencies, high and critical. */
const AUDIT = 'pnpm audit --prod --audit-level high';

describe('the CI workflows', () => {
  it('exist and parse: ci (checks, tests, containers) and images', () => {
    expect(workflowFiles.sort()).toEqual(['.github/workflows/ci.yml', '.github/workflows/images.yml']);
    for (const { file, workflow } of workflows) {
      expect(workflow.name, file).toBeTruthy();
      expect(Object.keys(workflow.jobs).length, file).toBeGreaterThan(0);
    }
  });

  it('pin every action to a full commit SHA, with the release in a comment', () => {
    const text = workflowFiles.map((file) => ({ file, lines: read(file).split('\n') }));
    for (const { file, lines } of text) {
      for (const line of lines.filter((l) => /^\s*-?\s*uses:/.test(l))) {
        expect(line, file).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      }
    }
    expect(steps.filter(({ step }) => step.uses).length).toBeGreaterThan(0);
  });

  it('grant only read access, and package writes only to the job that pushes images', () => {
    for (const { file, workflow } of workflows) {
      expect(workflow.permissions, file).toEqual({ contents: 'read' });
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const granted = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write');
        if (file.endsWith('images.yml') && name === 'push') expect(granted).toEqual([['packages', 'write']]);
        else expect(granted, `${file} ${name}`).toEqual([]);
      }
    }
  });

  it('run only scripts that exist in package.json', () => {
    const root = scriptsOf('.');
    const commands = steps.flatMap(({ where, step }) =>
      (step.run ?? '')
        .split('\n')
        .flatMap((line) =>
          [...line.matchAll(/\bpnpm\s+(?:run\s+)?([a-z][\w:-]*)/g)].map((m) => ({ where, name: m[1]! })),
        ),
    );
    expect(commands.length).toBeGreaterThan(0);
    for (const { where, name } of commands) {
      if (PNPM_COMMANDS.has(name)) continue;
      expect(Object.keys(root), `${where}: pnpm ${name}`).toContain(name);
    }
  });

  it('run lint, types, the advisory check, unit and integration tests, and the container suite', () => {
    const runs = steps.map(({ step }) => step.run ?? '').join('\n');
    for (const script of ['format:check', 'lint', 'typecheck', 'test:unit', 'test:e2e'])
      expect(runs).toContain(`pnpm ${script}`);
    expect(runs).toContain(AUDIT);
  });

  it('test against the Postgres and Redis images compose.yaml runs', () => {
    const compose = readYaml<{ services: Record<string, { image?: string }> }>('compose.yaml');
    const ci = workflows.find(({ file }) => file.endsWith('ci.yml'))!.workflow;
    const services = ci.jobs.test!.services!;
    expect(services.postgres!.image).toBe(compose.services.postgres!.image);
    expect(services.redis!.image).toBe(compose.services.redis!.image);
  });

  it('build one image per app, from the repository root', () => {
    const images = workflows.find(({ file }) => file.endsWith('images.yml'))!.workflow;
    // Run the listing step as the runner would, in this checkout: the apps' images, and only them
    // (docker/ also holds the container suite's fake model provider, which is never released).
    const list = images.jobs.apps!.steps.map((s) => s.run ?? '').join('\n');
    const output = join(mkdtempSync(join(tmpdir(), 'keelson-images-')), 'output');
    writeFileSync(output, '');
    const run = spawnSync('bash', ['-eo', 'pipefail', '-c', list], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, GITHUB_OUTPUT: output },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const apps = JSON.parse(/^apps=(.*)$/m.exec(readFileSync(output, 'utf8'))![1]!) as string[];
    expect(apps.sort()).toEqual(['agent', 'api', 'task-runner', 'web']);
    expect(apps.sort()).toEqual(readdirSync(join(ROOT, 'apps')).sort());
    const build = images.jobs.push!.steps.find((s) =>
      s.uses?.startsWith('docker/build-push-action@'),
    ) as Step & {
      with: Record<string, string>;
    };
    expect(build.with).toMatchObject({
      context: '.',
      file: 'docker/${{ matrix.app }}/Dockerfile',
      push: true,
    });
  });
});

describe('Dependabot (.github/dependabot.yml)', () => {
  interface Update {
    'package-ecosystem': string;
    directory?: string;
    directories?: string[];
    cooldown?: { 'default-days'?: number };
    groups?: Record<string, { patterns?: string[]; 'update-types'?: string[] }>;
  }
  const { updates } = readYaml<{ version: number; updates: Update[] }>('.github/dependabot.yml');
  const dirsOf = (update: Update) => update.directories ?? [update.directory!];
  /** The folders a directory entry names (`/docker/*`: each folder under docker/). */
  const expand = (dir: string) =>
    dir.endsWith('/*')
      ? readdirSync(join(ROOT, dir.slice(1, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => `${dir.slice(1, -2)}/${entry.name}`)
      : [dir.slice(1) || '.'];

  it('updates every ecosystem this repository pins, each in one group (one pull request per ecosystem)', () => {
    expect(updates.map((u) => u['package-ecosystem']).sort()).toEqual(
      ['docker', 'docker-compose', 'github-actions', 'npm'].sort(),
    );
    for (const update of updates) {
      const groups = Object.values(update.groups ?? {});
      expect(groups, update['package-ecosystem']).toHaveLength(1);
      expect(groups[0]!.patterns, update['package-ecosystem']).toEqual(['*']);
      expect(update.cooldown?.['default-days'], update['package-ecosystem']).toBeGreaterThan(0);
    }
  });

  it('looks where the manifests are', () => {
    const where = (ecosystem: string) => updates.find((u) => u['package-ecosystem'] === ecosystem)!;
    const files = (ecosystem: string) => dirsOf(where(ecosystem)).flatMap(expand);
    expect(files('npm')).toEqual(['.']);
    expect(read('pnpm-lock.yaml')).toBeTruthy();
    // Every folder of docker/ with a Dockerfile, and no other.
    const dockerfiles = filesUnder('docker', 'Dockerfile').map((file) => file.replace(/\/Dockerfile$/, ''));
    expect(files('docker').sort()).toEqual(dockerfiles.sort());
    // compose.yaml and the monitoring profile's compose file.
    expect(files('docker-compose').map((dir) => `${dir}/compose.yaml`.replace(/^\.\//, ''))).toEqual(
      expect.arrayContaining(['compose.yaml', 'monitoring/compose.yaml']),
    );
    expect(files('github-actions')).toEqual(['.']);
  });
});

describe('the dependency advisory check (ci.yml `audit`, run here against a stand-in advisory database)', () => {
  const job = workflows.find(({ file }) => file.endsWith('ci.yml'))!.workflow.jobs.audit!;
  const step = job.steps.find((s) => s.run?.includes('pnpm audit'))!;
  let advisories: FakeAdvisories;

  beforeAll(async () => {
    advisories = await FakeAdvisories.start();
  });
  afterAll(async () => {
    await advisories?.stop();
  });

  /**
   * Runs the step's command as the runner would, in a copy of the workspace's root files (the
   * lockfile is all `pnpm audit` reads) with `ignore` as the allow-list, against the stand-in.
   */
  async function audit(ignore?: string[]): Promise<{ code: number; output: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'keelson-audit-'));
    for (const file of ['package.json', 'pnpm-lock.yaml', '.nvmrc'])
      copyFileSync(join(ROOT, file), join(dir, file));
    const workspace = parse(read('pnpm-workspace.yaml')) as { audit?: { ignore?: string[] } };
    if (ignore) workspace.audit = { ignore };
    writeFileSync(join(dir, 'pnpm-workspace.yaml'), stringify(workspace));
    writeFileSync(join(dir, '.npmrc'), `registry=${advisories.url}\n`);
    try {
      const { stdout, stderr } = await promisify(execFile)('bash', ['-eo', 'pipefail', '-c', step.run!], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      return { code: 0, output: `${stdout}${stderr}` };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, output: `${failed.stdout}${failed.stderr}` };
    }
  }

  it('is its own job, running exactly the documented command', () => {
    expect(step.run).toBe(AUDIT);
    expect(job.permissions).toBeUndefined();
  });

  it('asks about the production dependencies only, and passes when nothing is reported', async () => {
    advisories.report({});
    const result = await audit();
    expect(result.code, result.output).toBe(0);
    const asked = advisories.asked.at(-1)!;
    expect(Object.keys(asked)).toContain('fastify');
    expect(Object.keys(asked)).toContain('bullmq');
    // vitest is a devDependency wherever it is used: not what ships.
    expect(Object.keys(asked)).not.toContain('vitest');
  });

  it('fails on a high or a critical advisory, names it, and lets a moderate one pass', async () => {
    for (const severity of ['high', 'critical'] as const) {
      advisories.report({
        fastify: [{ ghsa: 'GHSA-2222-3333-4444', severity, vulnerableVersions: '<99.0.0' }],
      });
      const result = await audit();
      expect(result.code, severity).not.toBe(0);
      expect(result.output, severity).toContain('GHSA-2222-3333-4444');
    }
    advisories.report({
      fastify: [{ ghsa: 'GHSA-2222-3333-4444', severity: 'moderate', vulnerableVersions: '<99.0.0' }],
    });
    expect((await audit()).code).toBe(0);
  });

  it('passes an advisory listed in the allow-list, and only that one', async () => {
    advisories.report({
      fastify: [{ ghsa: 'GHSA-2222-3333-4444', severity: 'high', vulnerableVersions: '<99.0.0' }],
      pg: [{ ghsa: 'GHSA-5555-6666-7777', severity: 'critical', vulnerableVersions: '<99.0.0' }],
    });
    expect((await audit(['GHSA-2222-3333-4444', 'GHSA-5555-6666-7777'])).code).toBe(0);
    const partly = await audit(['GHSA-2222-3333-4444']);
    expect(partly.code).not.toBe(0);
    expect(partly.output).toContain('GHSA-5555-6666-7777');
  });

  it('keeps its allow-list in pnpm-workspace.yaml, where pnpm reads it, each advisory with its reason', async () => {
    const text = read('pnpm-workspace.yaml');
    expect(allowListProblems(text)).toEqual([]);
    // pnpm itself reads the same list (a misspelt key would be ignored silently).
    const { stdout } = await promisify(execFile)('pnpm', ['config', 'get', 'audit', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    const listed = (parseDocument(text).toJS() as { audit: { ignore: string[] } }).audit.ignore;
    // pnpm prints nothing for an empty list.
    const seen = stdout.trim() === '' ? [] : ((JSON.parse(stdout) as { ignore?: string[] }).ignore ?? []);
    expect(seen).toEqual(listed);
  });

  it('refuses an allow-list entry without a reason, or that is not a GHSA id', () => {
    const list = (...lines: string[]) =>
      `audit:\n  ignore:\n${lines.map((line) => `    ${line}\n`).join('')}`;
    expect(
      allowListProblems(list('- GHSA-2222-3333-4444 # only reached from the dev server; recheck 2027-01')),
    ).toEqual([]);
    expect(allowListProblems(list('- GHSA-2222-3333-4444'))).toEqual([
      'GHSA-2222-3333-4444: no reason (write it after the id: `- GHSA-… # why it does not apply`)',
    ]);
    expect(allowListProblems(list('- CVE-2026-1234 # a reason that is long enough'))).toEqual([
      'CVE-2026-1234: not a GitHub advisory id (GHSA-xxxx-xxxx-xxxx), which is what pnpm matches',
    ]);
    expect(allowListProblems('packages: []\n')).toEqual([
      'no `audit.ignore` list: write `audit:\n  ignore: []` (see the comment in pnpm-workspace.yaml)',
    ]);
  });
});
