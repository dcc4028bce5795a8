import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFacts, loaderOf, problemsOf, WORKLOADS } from '../src/apps.ts';
import { ecs } from '../src/ecs-definitions.ts';
import { OVERLAYS, podTemplates, render } from '../src/kubernetes.ts';
import { deployments, PLATFORMS, renderBlueprint } from '../src/platforms.ts';
import { read, readJson, ROOT } from '../src/repository.ts';
import { runtimeEnvironment } from '../src/runtime-config.ts';

/**
 * The web console is served by the api itself at /console/ (deployment.md, "The web console"): its
 * build is in the api image, turned on by the image's CONSOLE_DIR. So on every platform the
 * console is wherever the api's public address is, and what must hold is that every platform
 * runs that image as its public service, leaves CONSOLE_DIR alone, and rebuilds the api when the
 * console changes. The serving itself is proven on the built image by tests/e2e
 * (console-in-api.test.ts) and by apps/api's console.test.ts.
 */

const API_DOCKERFILE = WORKLOADS.api.dockerfile;
/** Where the api image carries the console build (its WORKDIR is /app). */
const IMAGE_CONSOLE_DIR = '/app/console';

/** A Dockerfile's stages by name (`FROM … AS name`), the last one also as `default`. */
function stages(dockerfile: string): Record<string, string> {
  const parts = dockerfile.split(/^(?=FROM )/m).slice(1);
  const named = Object.fromEntries(
    parts.map((part) => [/^FROM \S+(?: AS (\S+))?/.exec(part)![1] ?? '', part] as const),
  );
  return { ...named, default: parts.at(-1)! };
}

/** Each workspace package's folder, by its name (`@repo/web` → `apps/web`). */
const workspaceFolders = new Map(
  ['apps', 'packages', 'tooling'].flatMap((top) =>
    readdirSync(`${ROOT}/${top}`).map((dir) => {
      const name = readJson<{ name: string }>(`${top}/${dir}/package.json`).name;
      return [name, `${top}/${dir}`] as const;
    }),
  ),
);

describe('the api image carries the web console', () => {
  const dockerfile = read(API_DOCKERFILE);
  const stage = stages(dockerfile);

  it('builds the console in a stage of its own and ships it in the default (runtime) stage, CONSOLE_DIR naming it', () => {
    expect(dockerfile).toMatch(/turbo@\$\{TURBO_VERSION\} prune @repo\/web --docker --out-dir=out-console/);
    expect(stage.console).toMatch(/pnpm turbo run build --filter=@repo\/web/);
    const runtime = stage.default;
    expect(runtime).toMatch(/^FROM \S+ AS runtime/);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    expect(runtime).toMatch(/^COPY --from=console \/repo\/apps\/web\/dist \.\/console$/m);
    expect(runtime).toMatch(new RegExp(`^ENV CONSOLE_DIR=${IMAGE_CONSOLE_DIR}$`, 'm'));
    // Neither the api's install nor the dev image gets the console's dependencies.
    expect(stage.deps).not.toMatch(/out-console/);
    expect(stage.dev).not.toMatch(/console/);
  });
});

describe('every platform serves the console through its public api', () => {
  it('runs the api image, public where the file decides it, no other service public, and never overrides CONSOLE_DIR', async () => {
    const all = await deployments();
    for (const platform of PLATFORMS) {
      const own = all.filter((d) => d.platform === platform);
      // Railway's public domain is given by hand (deployment.md, "Railway", step 6): none is public here.
      expect(
        own.filter((d) => d.public).map((d) => d.workload),
        `${platform}: only the api is public, so the console shares its origin`,
      ).toEqual(platform === 'railway' ? [] : ['api']);
      const api = own.find((d) => d.workload === 'api')!;
      expect(
        api.dockerfile === API_DOCKERFILE || api.image?.endsWith('/api'),
        `${api.where}: runs the api image (${API_DOCKERFILE})`,
      ).toBe(true);
      for (const deployment of own) {
        expect(deployment.env.CONSOLE_DIR, `${deployment.where}: CONSOLE_DIR is the image's`).toBeUndefined();
      }
    }
  });

  it("starts the api with each platform's environment and the image's CONSOLE_DIR, which the api reads by that name", async () => {
    const [, name = '', value] = /^ENV (CONSOLE_\w+)=(\S+)$/m.exec(stages(read(API_DOCKERFILE)).default!)!;
    expect((await configFacts('api')).variables).toContain(name);
    expect(value).toBe(IMAGE_CONSOLE_DIR);
    const load = await loaderOf('api');
    // A console build where the image has one (/app/console is not on this machine).
    const build = mkdtempSync(join(tmpdir(), 'keelson-console-build-'));
    writeFileSync(join(build, 'index.html'), '<!doctype html>');
    try {
      for (const api of (await deployments()).filter((d) => d.workload === 'api')) {
        const env = runtimeEnvironment(api);
        expect(problemsOf(load, { ...env, [name]: build }), api.where).toEqual([]);
        // And the same variable pointing at no build stops it, naming the variable.
        expect(problemsOf(load, { ...env, [name]: join(build, 'missing') }), api.where).toEqual([
          expect.stringMatching(new RegExp(`^${name}: has no index\\.html`)),
        ]);
      }
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  });

  it('on ECS the ALB sends every path to the api target group: no rule, service or task for the console', () => {
    expect(Object.keys(ecs.taskDefinitions).sort()).toEqual(['agent', 'api', 'migrate', 'task-runner']);
    expect(Object.keys(ecs.services).sort()).toEqual(['agent', 'api', 'task-runner']);
    expect(ecs.targetGroup.Port).toBe(3000);
    expect(ecs.targetGroup.HealthCheckPath).toBe('/ready');
  });

  it('on Kubernetes the api pods run the api image with no CONSOLE_DIR of their own', () => {
    for (const overlay of OVERLAYS) {
      const objects = render(overlay);
      const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
      for (const map of configMaps) {
        expect(
          Object.keys((map as { data?: object }).data ?? {}),
          `${overlay}: ConfigMap ${map.metadata.name}`,
        ).not.toContain('CONSOLE_DIR');
      }
      const api = podTemplates(objects).find(
        ({ owner }) => owner.kind === 'Deployment' && owner.metadata.name === 'api',
      );
      const container = api!.template.spec.containers.find((c) => c.name === 'api')!;
      expect(container.image, overlay).toMatch(/\/api(:|@|$)|^keelson\/api/);
      expect(
        (container.env ?? []).map((variable) => variable.name),
        overlay,
      ).not.toContain('CONSOLE_DIR');
      expect(container.securityContext?.readOnlyRootFilesystem, `${overlay}: the console is only read`).toBe(
        true,
      );
    }
  });

  it("on Render a change to the console rebuilds the api: the api's buildFilter covers every package its Dockerfile prunes", () => {
    const pruned = [...read(API_DOCKERFILE).matchAll(/ prune (@repo\/[\w-]+)/g)].map((match) => match[1]!);
    expect(pruned).toEqual(['@repo/api', '@repo/web']);
    const api = renderBlueprint().services.find((service) => service.name === 'keelson-api')!;
    const paths = (api.buildFilter as { paths: string[] }).paths;
    for (const name of pruned) {
      const folder = workspaceFolders.get(name)!;
      expect(
        paths.some((path) => path === `${folder}/**` || path === `${folder.split('/')[0]}/**`),
        `render.yaml keelson-api buildFilter: ${folder}/**`,
      ).toBe(true);
    }
  });
});
