// Start-up time: fills Node's on-disk compile cache (NODE_COMPILE_CACHE) at build time, in the
// runtime stage, so that a container compiles none of its modules when it starts:
//   NODE_COMPILE_CACHE=/app/.compile-cache node --import=@repo/telemetry/register \
//     compile-cache.mjs <entry point>…      e.g. main.js migrate.js cli/
// run from /app, the folder the app runs from. Node keys the cache by each module's path and
// contents, and names its folder after Node's version, V8's flags, the CPU's features and the
// user id. What does not match is simply not found: a module changed since, another Node, another
// uid, or a host whose CPU differs from the build machine's (then the app compiles at start as
// it did before, without a warning; NODE_DEBUG_NATIVE=COMPILE_CACHE shows it).
//
// It imports every module of dist/ except the entry points named (files, or folders ending in
// `/`, relative to dist/): the process's main module, one-off commands, worker threads' scripts,
// which would start something. The rest is what the entry points load; importing it runs no app
// code. A module with an effect on import fails the build here, which is the point: the image
// names its entry points, or the module is fixed.
//
// What an app imports later, by a dynamic import (the api's modules loaded once it listens), a
// static walk cannot see: a dist module that exports `compileCacheImports` (an async function
// importing them) has it awaited here — src/startup/compile-cache-imports.ts in the api and the
// task-runner.
import { flushCompileCache, getCompileCacheDir } from 'node:module';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

if (!getCompileCacheDir()) {
  console.error('compile-cache.mjs: NODE_COMPILE_CACHE is not set (or not writable)');
  process.exit(1);
}

const entryPoints = process.argv.slice(2);
const isEntryPoint = (path) =>
  entryPoints.some((entry) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry));
const dist = join(process.cwd(), 'dist');
const modules = readdirSync(dist, { recursive: true, encoding: 'utf8' })
  .filter((path) => path.endsWith('.js') && !isEntryPoint(path))
  .sort();

let later = 0;
for (const path of modules) {
  const namespace = await import(pathToFileURL(join(dist, path)).href);
  if (typeof namespace.compileCacheImports === 'function') {
    await namespace.compileCacheImports();
    later++;
  }
}
flushCompileCache();
console.log(
  `compile cache: ${modules.length} modules of dist/ and their imports (${later} compileCacheImports), in ${relative(process.cwd(), getCompileCacheDir())}/`,
);
