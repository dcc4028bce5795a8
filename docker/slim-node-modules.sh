#!/bin/sh
# Deletes from a `pnpm deploy --prod` folder the files Node never loads at run time, so only what
# runs ships. Used by every Dockerfile's build stage:  slim-node-modules.sh /out
#
# Only whole categories that no production code path can need are removed:
#   - type packages (@types/*) and declaration files: read by the compiler, never by Node;
#   - TypeScript sources of dependencies: Node refuses to strip types under node_modules
#     (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), so no dependency can load one;
#   - source maps: read only with --enable-source-maps, which no image sets (add it back here and
#     in the CMD together if you want mapped stack traces of dependencies);
#   - Markdown (READMEs, changelogs, the AI SDK's bundled docs) and packages' own tests: test
#     folders at a package's root, and anywhere the files and folders that only test runners read
#     (`*.test.js`, `*.spec.js`, `*.snap`, `__snapshots__`, `__fixtures__`, `__mocks__`).
# License and notice files stay: they must travel with the code that is redistributed.
set -eu

root=${1:?usage: slim-node-modules.sh <pnpm deploy output folder>}
modules="$root/node_modules"
[ -d "$modules/.pnpm" ] || { echo "slim-node-modules: $modules is not a pnpm node_modules" >&2; exit 1; }

before=$(du -sb "$modules" | cut -f1)

# Type packages: the package folders in pnpm's store (`.pnpm/@types+pg@8.23.1`) and every
# `node_modules/@types` folder of links to them (a production package may list one as a peer,
# as drizzle-orm does @types/pg, which pulls in @types/node).
find "$modules/.pnpm" -mindepth 1 -maxdepth 1 -type d -name '@types+*' -exec rm -rf {} +
find "$modules" -type d -path '*/node_modules/@types' -prune -exec rm -rf {} +

# Tests shipped inside packages: a `test`, `tests` or `__tests__` folder at a package's root.
find "$modules" -type d -regextype posix-extended \
  -regex '.*/node_modules/(@[^/]+/)?[^/]+/(test|tests|__tests__)' -prune -exec rm -rf {} +
# ... and the folders only test runners read, wherever they are (the AI SDK ships src/**/__fixtures__).
find "$modules" -type d \( -name __snapshots__ -o -name __fixtures__ -o -name __mocks__ \) \
  -prune -exec rm -rf {} +

find "$modules" -type f \( \
  -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.tsx' -o -name '*.tsbuildinfo' \
  -o -name '*.map' \
  -o -regex '.*\.\(test\|spec\)\.[cm]?js' -o -name '*.snap' \
  -o \( \( -iname '*.md' -o -iname '*.mdx' -o -iname '*.markdown' \) ! -iname 'licen[cs]e*' ! -iname 'notice*' \) \
  \) -delete

after=$(du -sb "$modules" | cut -f1)
echo "slim-node-modules: $modules $((before / 1000000)) MB -> $((after / 1000000)) MB"
