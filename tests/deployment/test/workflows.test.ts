import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, read, readJson, readYaml, ROOT } from '../src/repository.ts';

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

  it('run lint, types, unit and integration tests, and the container suite', () => {
    const runs = steps.map(({ step }) => step.run ?? '').join('\n');
    for (const script of ['format:check', 'lint', 'typecheck', 'test:unit', 'test:e2e'])
      expect(runs).toContain(`pnpm ${script}`);
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
    expect(apps.sort()).toEqual(['agent', 'api', 'task-runner']);
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
