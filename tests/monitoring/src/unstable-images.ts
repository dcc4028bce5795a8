import { fileURLToPath } from 'node:url';
import { docker, expectSuccess } from './docker.ts';

/**
 * Prometheus 3 and a recent Alertmanager from Debian unstable (images/Dockerfile explains why):
 * what the checks run besides the pinned tags, which are Prometheus 2.53 and Alertmanager 0.28
 * stand-ins on a machine without a registry.
 */
export const PROMETHEUS_UNSTABLE_IMAGE = 'keelson-test/prometheus:debian-unstable';
export const ALERTMANAGER_UNSTABLE_IMAGE = 'keelson-test/alertmanager:debian-unstable';

const CONTEXT = fileURLToPath(new URL('../images', import.meta.url));

/** Builds both targets (cached by Docker after the first time: about a minute, 45 MB of packages). */
export async function buildUnstableImages(): Promise<void> {
  for (const [target, tag] of [
    ['prometheus', PROMETHEUS_UNSTABLE_IMAGE],
    ['alertmanager', ALERTMANAGER_UNSTABLE_IMAGE],
  ] as const) {
    const result = await docker(['build', '--quiet', '--target', target, '--tag', tag, CONTEXT], {
      timeoutMs: 600_000,
    });
    expectSuccess(result, `docker build --target ${target} ${CONTEXT}`);
  }
}

/** `3.5.3+ds1` from `prometheus, version 3.5.3+ds1 (branch: …)` printed by any of the four tools. */
export async function toolVersion(image: string, tool: string): Promise<string> {
  const result = expectSuccess(
    await docker(['run', '--rm', '--network', 'none', '--entrypoint', tool, image, '--version']),
    `${tool} --version`,
  );
  const version = /version (\S+)/.exec(result.stdout + result.stderr)?.[1];
  if (!version) throw new Error(`no version in ${tool} --version: ${result.stdout}${result.stderr}`);
  return version;
}
