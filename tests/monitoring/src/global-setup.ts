import { buildUnstableImages } from './unstable-images.ts';

/** Vitest global setup: the Debian unstable Prometheus and Alertmanager images, built once per run. */
export default async function setup(): Promise<void> {
  await buildUnstableImages();
}
