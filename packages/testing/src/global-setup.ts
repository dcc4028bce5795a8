import type { TestProject } from 'vitest/node';
import { ensureServices } from './compose-services.ts';

import './provided-context.ts';

/**
 * Runs once per vitest process: uses DATABASE_URL / REDIS_URL when the caller provides them
 * (e.g. service containers in a hosted CI), otherwise starts them from compose.yaml.
 */
export default async function setup(project: TestProject): Promise<void> {
  const given = process.env.DATABASE_URL && process.env.REDIS_URL;
  const urls = given
    ? { databaseUrl: process.env.DATABASE_URL!, redisUrl: process.env.REDIS_URL! }
    : await ensureServices();
  project.provide('databaseUrl', urls.databaseUrl);
  project.provide('redisUrl', urls.redisUrl);
}
