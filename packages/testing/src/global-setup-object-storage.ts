import type { TestProject } from 'vitest/node';
import { ensureObjectStorage } from './compose-services.ts';

import './provided-context.ts';

/**
 * For the packages whose tests store files (`testConfig({ services: true, objectStorage: true })`):
 * an S3 server, `S3_TEST_ENDPOINT` when the caller provides one, otherwise compose.yaml's
 * `s3-test` (Debian's moto, tests/s3-server). Each test file creates its own bucket on it.
 */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('s3Endpoint', process.env.S3_TEST_ENDPOINT ?? (await ensureObjectStorage()));
}
