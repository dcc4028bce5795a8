import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/compose.ts';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'scripts/create-secrets.sh');
const NAMES = ['jwt-secret', 'service-auth-token', 'postgres-password', 'database-url'];

/** scripts/create-secrets.sh: the files the prod profile's `secrets:` read. */
describe('scripts/create-secrets.sh', () => {
  let dir: string;
  const read = (name: string) => readFile(join(dir, 'secrets', name), 'utf8');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keelson-e2e-create-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes strong, distinct secrets and a database URL carrying the password', async () => {
    await run(SCRIPT, [join(dir, 'secrets')]);
    const values = Object.fromEntries(await Promise.all(NAMES.map(async (name) => [name, await read(name)])));
    for (const name of ['jwt-secret', 'service-auth-token', 'postgres-password']) {
      // At least the 32 bytes production requires (MIN_SECRET_BYTES), no trailing newline.
      expect(Buffer.byteLength(values[name]), name).toBeGreaterThanOrEqual(32);
      expect(values[name], name).not.toMatch(/\s/);
    }
    expect(new Set(Object.values(values)).size).toBe(4);
    expect(values['database-url']).toBe(
      `postgres://keelson:${values['postgres-password']}@postgres:5432/keelson`,
    );
    // The folder is private; the files are readable by the containers' own user (uid 1000).
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    for (const name of NAMES) expect((await stat(join(dir, 'secrets', name))).mode & 0o777, name).toBe(0o644);
  });

  it('never overwrites: a second run keeps every value, a missing URL is rebuilt from the kept password', async () => {
    await run(SCRIPT, [join(dir, 'secrets')]);
    const first = await Promise.all(NAMES.map(read));
    await unlink(join(dir, 'secrets', 'database-url'));
    const { stdout } = await run(SCRIPT, [join(dir, 'secrets')]);
    expect(stdout).toMatch(/jwt-secret exists, kept/);
    expect(await Promise.all(NAMES.map(read))).toEqual(first);
  });
});
