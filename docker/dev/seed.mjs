// Sample data for the dev profile: `docker compose run --rm seed`.
// Stores every file of /seed/documents (this repository's READMEs, mounted read-only by compose)
// as a document of SEED_OWNER through the api, like any client, and prints a token for that owner.
// Runs in the api's dev image, so the token is minted by the api's own command with the api's
// secret. Each document carries an Idempotency-Key derived from its file name: running the seed
// again stores nothing twice.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const api = process.env.API_URL ?? 'http://api:3000';
const owner = process.env.SEED_OWNER ?? 'alice';
const folder = '/seed/documents';

const token = execFileSync(
  'node',
  ['--conditions=@repo/source', 'src/cli/mint-token.ts', owner, '--ttl', String(7 * 24 * 3600)],
  { cwd: '/repo/apps/api', encoding: 'utf8' },
).trim();

let stored = 0;
for (const name of readdirSync(folder).sort()) {
  const content = readFileSync(`${folder}/${name}`, 'utf8');
  const response = await fetch(`${api}/v1/documents`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': `seed:${name}`,
    },
    body: JSON.stringify({ title: name, content }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 202) {
    console.error(`seed: ${name}: ${response.status} ${await response.text()}`);
    process.exitCode = 1;
    continue;
  }
  const replayed = response.headers.get('idempotent-replayed') === 'true';
  if (!replayed) stored += 1;
  console.log(`seed: ${name} → ${(await response.json()).id}${replayed ? ' (already there)' : ''}`);
}
console.log(`seed: ${stored} new document(s) for owner "${owner}". A token for them (7 days):`);
console.log(token);
