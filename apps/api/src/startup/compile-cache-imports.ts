import { importBullmq } from '@repo/queue';
import { importFileType, importS3Client } from '@repo/storage';
import { importUndici } from '../agent/agent-client.ts';
import { loadMcp } from '../routes/mcp.ts';

/**
 * Imports what the api imports only after it listens (startup/deferred.ts). Nothing calls it at
 * run time: docker/compile-cache.mjs, filling the image's compile cache at build, awaits the
 * `compileCacheImports` of every dist module that exports one, so these modules are compiled
 * from the cache like every other instead of afresh in each container.
 */
export async function compileCacheImports(): Promise<void> {
  await Promise.all([importBullmq(), importS3Client(), importFileType(), loadMcp(), importUndici()]);
}
