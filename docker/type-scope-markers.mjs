// Start-up time: writes a one-line package.json (`{"type":"module"}`) into the subfolders of
// packages whose own package.json is very large, in a `pnpm deploy` output folder:
//   node type-scope-markers.mjs /out
//
// Why: for every `.js` module it loads, Node 24's ESM loader looks up the nearest package.json to
// learn the module's type (getPackageScopeConfig), and in doing so parses that package.json's
// whole `exports` field again, once per module. drizzle-orm's manifest is 179 kB (450 export
// entries) and the apps load ~400 of its files: ~1 s of CPU and ~150 MB of garbage at every
// start of the api (measured: tests/bench/README.md). A nested package.json holding only the same
// `type` ends the lookup early with the same answer.
//
// What else a nested package.json could change, and why it does not here:
// - the module format: the marker repeats the package's own `type` (packages without one are skipped);
// - `#imports`: resolved against the nearest package.json; packages declaring `imports` are skipped;
// - self-references by name (`import 'pkg/x'` inside pkg): they then resolve through node_modules,
//   where pnpm's layout puts the package itself, to the same files;
// - bare specifiers and `exports` seen from outside: read from the package root, untouched.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Manifests above this size cost enough per module to be worth scoping (drizzle-orm: 179 kB). */
const LARGE_MANIFEST_BYTES = 64 * 1024;

const root = process.argv[2];
if (!root || !existsSync(join(root, 'node_modules', '.pnpm'))) {
  console.error('usage: node type-scope-markers.mjs <pnpm deploy output folder>');
  process.exit(1);
}

/** Every package folder of pnpm's virtual store: .pnpm/<id>/node_modules/[@scope/]name. */
function storePackages(store) {
  const folders = [];
  for (const id of readdirSync(store)) {
    const modules = join(store, id, 'node_modules');
    if (id === 'node_modules' || !existsSync(modules)) continue;
    for (const name of readdirSync(modules, { withFileTypes: true })) {
      // Links point at other store entries (visited on their own); only real folders belong here.
      if (!name.isDirectory()) continue;
      if (name.name.startsWith('@')) {
        for (const scoped of readdirSync(join(modules, name.name), { withFileTypes: true }))
          if (scoped.isDirectory()) folders.push(join(modules, name.name, scoped.name));
      } else folders.push(join(modules, name.name));
    }
  }
  return folders;
}

function holdsJavaScript(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) return true;
    if (entry.isDirectory() && entry.name !== 'node_modules' && holdsJavaScript(join(folder, entry.name)))
      return true;
  }
  return false;
}

for (const pkg of storePackages(join(root, 'node_modules', '.pnpm'))) {
  const manifestPath = join(pkg, 'package.json');
  if (!existsSync(manifestPath) || statSync(manifestPath).size < LARGE_MANIFEST_BYTES) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  // Without `type`, Node detects each .js file's syntax: a marker would have to guess.
  if (manifest.type === undefined || manifest.imports !== undefined) {
    console.log(`type-scope-markers: ${manifest.name}: skipped (no "type", or it declares "imports")`);
    continue;
  }
  const marker = `${JSON.stringify({ type: manifest.type })}\n`;
  let written = 0;
  for (const entry of readdirSync(pkg, { withFileTypes: true })) {
    const folder = join(pkg, entry.name);
    if (!entry.isDirectory() || entry.name === 'node_modules' || existsSync(join(folder, 'package.json')))
      continue;
    if (!holdsJavaScript(folder)) continue;
    writeFileSync(join(folder, 'package.json'), marker);
    written++;
  }
  console.log(
    `type-scope-markers: ${manifest.name}@${manifest.version} (${statSync(manifestPath).size} B manifest): ${written} folders marked`,
  );
}
