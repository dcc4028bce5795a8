import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig as loadApiConfig } from '../../../apps/api/src/config.ts';
import { loadConfig as loadTaskRunnerConfig } from '../../../apps/task-runner/src/config.ts';
import { dockerfiles, exists, read, readJson, readYaml } from './support.ts';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  stop_grace_period?: string;
  healthcheck?: unknown;
}

const compose = readYaml<{ services: Record<string, ComposeService> }>('compose.yaml');
const catalog = readYaml<{ catalog: Record<string, string> }>('pnpm-workspace.yaml').catalog;

/** Every image reference named anywhere: compose `image:` of services that are not built here, Dockerfile FROM/ARG. */
function imageReferences(): string[] {
  const fromCompose = Object.values(compose.services)
    .filter((service) => !service.build && service.image)
    .map((service) => service.image!);
  const fromDockerfiles = dockerfiles().flatMap((path) =>
    [...read(path).matchAll(/^ARG NODE_IMAGE=(\S+)/gm)].map((match) => match[1]!),
  );
  return [...fromCompose, ...fromDockerfiles];
}

describe('images', () => {
  it('are Debian-based and pinned by tag, never by digest or latest', () => {
    for (const ref of imageReferences()) {
      expect(ref, ref).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
      expect(ref, ref).not.toMatch(/alpine|:latest$|@sha256/);
    }
  });
});

describe('Dockerfiles', () => {
  // The Node services' images; docker/web serves static files with nginx, docker/radosgw is the
  // S3 server from Debian's packages (their rules are below).
  const files = dockerfiles().filter(
    (path) => path !== 'docker/web/Dockerfile' && path !== 'docker/radosgw/Dockerfile',
  );

  it('exist for every app that compose builds', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!service.build) continue;
      const dockerfile = join(service.build.context, service.build.dockerfile);
      expect(exists(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      // The stack's images prune the workspace, so they build from the root; a test-only image
      // that needs none of it (tests/s3-server) builds from its own folder.
      if (dockerfile.startsWith('docker/')) expect(service.build.context, name).toBe('.');
      else expect(dockerfile, name).toMatch(/^tests\//);
    }
  });

  it.each(files)('%s follows the image rules', (path) => {
    const text = read(path);
    expect(text).not.toMatch(/^# syntax=/m); // BuildKit would pull a frontend image
    expect(text).toMatch(/turbo@\$\{TURBO_VERSION\} prune @repo\/[a-z-]+ --docker/);
    expect(text).toMatch(/--mount=type=cache,id=pnpm-store/);
    expect(text).toMatch(/pnpm install --frozen-lockfile/);
    expect(text).toMatch(/deploy --prod/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^ENV NODE_ENV=production$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    // tini's binary comes from a stage of its own: the runtime stage runs no package manager.
    const runtime = text.slice(text.indexOf(' AS runtime'));
    expect(runtime).toMatch(/^COPY --from=tini \/usr\/bin\/tini \/usr\/bin\/tini$/m);
    expect(runtime).not.toMatch(/apt-get|dpkg -i/);
    expect(text).toMatch(/^CMD \["node", (?:"--import=@repo\/telemetry\/register", )?"dist\/main\.js"\]$/m);
    // The dependency layer comes before any source: manifests (out/json) are copied first.
    expect(text.indexOf('out/json')).toBeLessThan(text.indexOf('out/full'));
    expect(text.indexOf('pnpm install')).toBeLessThan(text.indexOf('out/full'));
  });

  it.each(files)('%s uses the turbo version of the workspace catalog', (path) => {
    expect(read(path)).toContain(`ARG TURBO_VERSION=${catalog.turbo}`);
  });

  it('docker/radosgw/Dockerfile installs the S3 server from Debian and runs it as the unprivileged ceph user', () => {
    const text = read('docker/radosgw/Dockerfile');
    expect(text).not.toMatch(/^# syntax=/m);
    expect(text).toMatch(/^FROM debian:trixie-slim$/m);
    expect(text).toMatch(/apt-get install -y --no-install-recommends radosgw /m);
    expect(text).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    expect(text).toMatch(/^USER ceph$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", /m);
  });

  it('docker/web/Dockerfile builds the console from the pruned workspace and serves it as a non-root nginx', () => {
    const text = read('docker/web/Dockerfile');
    expect(text).not.toMatch(/^# syntax=/m);
    expect(text).toMatch(/turbo@\$\{TURBO_VERSION\} prune @repo\/web --docker/);
    expect(text).toMatch(/--mount=type=cache,id=pnpm-store/);
    expect(text).toMatch(/pnpm install --frozen-lockfile/);
    expect(text).toContain(`ARG TURBO_VERSION=${catalog.turbo}`);
    expect(text).toMatch(/^ARG NGINX_IMAGE=nginx:[\w.-]+-(trixie|bookworm)$/m);
    const runtime = text.slice(text.indexOf(' AS runtime'));
    expect(runtime).toMatch(/^USER 101:101$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
    expect(runtime).not.toMatch(/apt-get|node_modules/);
    expect(text.indexOf('out/json')).toBeLessThan(text.indexOf('out/full'));
  });

  it('keep secrets and local state out of the build context', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '.git', '.env', 'secrets/']) expect(ignore).toContain(entry);
  });
});

describe('compose.yaml', () => {
  it('publishes ports on loopback only', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('gives every service a healthcheck (in compose or in its image)', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      // compose reads `dockerfile` relative to the build context.
      const inImage =
        service.build && read(join(service.build.context, service.build.dockerfile)).includes('HEALTHCHECK');
      expect(Boolean(service.healthcheck) || inImage, name).toBe(true);
    }
  });

  it('gives each app a stop_grace_period above its default shutdown budget', () => {
    // The dev services' mode (compose sets NODE_ENV=development; unset would mean production).
    const required = {
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://u:p@db/app',
      REDIS_URL: 'redis://cache',
    };
    const budgets: Record<string, number> = {
      api: loadApiConfig(required).SHUTDOWN_TIMEOUT_MS,
      'task-runner': loadTaskRunnerConfig(required).SHUTDOWN_TIMEOUT_MS,
    };
    for (const [name, budgetMs] of Object.entries(budgets)) {
      const grace = compose.services[name]?.stop_grace_period;
      expect(grace, name).toMatch(/^\d+s$/);
      expect(Number.parseInt(grace!, 10) * 1000, name).toBeGreaterThan(budgetMs);
    }
  });

  it('runs Redis with AOF and noeviction (BullMQ requires it)', () => {
    const command = (compose.services.redis as { command: string[] }).command.join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
  });
});

describe('the apps', () => {
  const apps = ['api', 'task-runner', 'agent'];
  const PRELOAD = '--import=@repo/telemetry/register';
  const manifest = (app: string) =>
    readJson<{ scripts: Record<string, string>; dependencies: Record<string, string> }>(
      `apps/${app}/package.json`,
    );

  it('start from dist/main.js, the file the images run, with the telemetry preload', () => {
    for (const app of apps) expect(manifest(app).scripts.start, app).toBe(`node ${PRELOAD} dist/main.js`);
  });

  it('run dev from the sources with the preload resolved to them', () => {
    for (const app of apps) {
      const dev = manifest(app).scripts.dev!;
      expect(dev, app).toMatch(/^node --conditions=@repo\/source .*--watch src\/main\.ts$/);
      expect(dev, app).toContain(PRELOAD);
    }
  });

  it('depend on @repo/telemetry, so `pnpm deploy` puts the preload in the image', () => {
    for (const app of apps) expect(manifest(app).dependencies['@repo/telemetry'], app).toBe('workspace:*');
  });

  it.each(apps)(
    'docker/%s/Dockerfile preloads telemetry in CMD (not NODE_OPTIONS: the healthcheck)',
    (app) => {
      const text = read(`docker/${app}/Dockerfile`);
      expect(text).toMatch(/^CMD \["node", "--import=@repo\/telemetry\/register", "dist\/main\.js"\]$/m);
      expect(text).toMatch(
        /^CMD \["node", "--conditions=@repo\/source", "--import=@repo\/telemetry\/register", "--watch", "src\/main\.ts"\]$/m,
      );
      expect(text).not.toMatch(/^ENV .*NODE_OPTIONS/m);
    },
  );
});
