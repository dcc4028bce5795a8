import { registerHooks, type ResolveHookContext, type ResolveFnOutput } from 'node:module';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Start-up time: resolves the relative `.js` imports of ES modules (`import './column.js'`, most
 * of the edges of a module graph) without Node's default resolver, which for every module it
 * resolves looks up the nearest package.json to learn the module's format and, in Node 24, parses
 * that package.json's whole `exports` field again each time (package_json_reader's
 * getPackageScopeConfig spreads the lazily parsed manifest). Measured in the api image: importing
 * the server took ~1.65 s of one CPU, ~1.45 s with this (tests/bench/README.md, "Start-up").
 *
 * The answer is the one Node's resolver gives, computed once per folder instead of once per
 * module:
 * - the URL: the specifier against the importer's URL, then the real path (as Node does, so a
 *   module reached through a symlink keeps one identity);
 * - the format: `module` when the nearest package.json says `"type": "module"`. Anything else
 *   (`commonjs`, no type, whose format Node detects from the source) goes to Node's resolver, as
 *   does every bare specifier (`import 'pg'`), `#imports`, `require()`, an import with
 *   attributes or with a query or a fragment (another module instance), what is not a file
 *   (missing, a folder: the error is Node's own), and a package.json that cannot be read as
 *   JSON.
 */
export function resolveRelativeImportsFast(): void {
  registerHooks({ resolve: resolveRelative });
}

/** How many imports this process resolved here (tests check the path is taken). */
export function relativeImportsResolved(): number {
  return resolved;
}

let resolved = 0;

function resolveRelative(
  specifier: string,
  context: ResolveHookContext,
  nextResolve: (specifier: string, context?: Partial<ResolveHookContext>) => ResolveFnOutput,
): ResolveFnOutput {
  const parent = context.parentURL;
  if (
    parent?.startsWith('file:') &&
    (specifier.startsWith('./') || specifier.startsWith('../')) &&
    specifier.endsWith('.js') &&
    // A query or a fragment (`./a.js?v=.js`) makes another module instance: Node's to answer.
    !specifier.includes('?') &&
    !specifier.includes('#') &&
    // (Both always given for an import; read defensively all the same: a hook that throws
    // breaks every import after it.)
    context.conditions?.includes('require') === false &&
    Object.keys(context.importAttributes ?? {}).length === 0
  ) {
    const path = realFile(new URL(specifier, parent));
    if (path !== undefined && scopeType(dirname(path)) === 'module') {
      resolved++;
      return { url: pathToFileURL(path).href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

/**
 * The file's real path; undefined when it is not a file (missing, a folder) or its URL is one
 * Node refuses (an encoded `/`): Node's resolver then answers, with its own error.
 */
function realFile(url: URL): string | undefined {
  try {
    const path = fileURLToPath(url);
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
    // The JavaScript realpath, as Node's resolver uses (the native one also corrects the case of
    // a path on a case-insensitive file system, which Node's does not).
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** `type` of the nearest package.json above each folder: 'module', another string, or null. */
const typeOfFolder = new Map<string, string | null>();

function scopeType(folder: string): string | null {
  const known = typeOfFolder.get(folder);
  if (known !== undefined) return known;
  let type: string | null;
  const manifest = readManifest(join(folder, 'package.json'));
  if (manifest !== undefined) {
    type = manifest;
  } else {
    const parent = dirname(folder);
    // Node stops at the file system's root and at a node_modules folder (a package's own scope
    // ends there).
    type = parent === folder || folder.endsWith('/node_modules') ? null : scopeType(parent);
  }
  typeOfFolder.set(folder, type);
  return type;
}

/** The manifest's `type` ('' when it has none, null when unreadable); undefined when absent. */
function readManifest(path: string): string | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : null;
  }
  try {
    const type = (JSON.parse(text) as { type?: unknown }).type;
    return typeof type === 'string' ? type : '';
  } catch {
    return null;
  }
}
