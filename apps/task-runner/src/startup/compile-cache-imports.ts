import { importFileType, importS3Client } from '@repo/storage';

/**
 * Imports what the task-runner imports on first need rather than at start-up: the S3 client
 * (@repo/storage imports it by the first file operation) and file-type (by the first file
 * detected). Nothing calls it at run time: docker/compile-cache.mjs, filling the image's compile
 * cache at build, awaits the `compileCacheImports` of every dist module that exports one, so
 * these modules are compiled from the cache like every other instead of afresh in each container.
 */
export async function compileCacheImports(): Promise<void> {
  await Promise.all([importS3Client(), importFileType()]);
}
