import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/compose.ts';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'scripts/create-secrets.sh');
const PASSWORDS = ['postgres-password', 'postgres-owner-password', 'postgres-app-password', 'redis-password'];
const NAMES = [
  'jwt-secret',
  'service-auth-token',
  'api-key-pepper',
  ...PASSWORDS,
  'migration-database-url',
  'database-url',
  'redis-url',
  'redis-acl',
  'storage-access-key-id',
  'storage-secret-access-key',
];
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

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

  it('writes strong, distinct secrets, and URLs and a Redis user list carrying the passwords', async () => {
    await run(SCRIPT, [join(dir, 'secrets')]);
    const values: Record<string, string> = Object.fromEntries(
      await Promise.all(NAMES.map(async (name) => [name, await read(name)])),
    );
    for (const name of [
      'jwt-secret',
      'service-auth-token',
      'api-key-pepper',
      'storage-secret-access-key',
      ...PASSWORDS,
    ]) {
      // At least the 32 bytes production requires (MIN_SECRET_BYTES), no trailing newline.
      expect(Buffer.byteLength(values[name]!), name).toBeGreaterThanOrEqual(32);
      expect(values[name], name).not.toMatch(/\s/);
    }
    expect(new Set(Object.values(values)).size).toBe(NAMES.length);
    // The S3 key pair (the server's user and the apps' credentials): an identifier of 16 random
    // bytes as hex, so it is safe in any header or log line.
    expect(values['storage-access-key-id']).toMatch(/^[0-9a-f]{32}$/);
    // The apps' role and the owner's, each with its own password; the superuser's is in no URL.
    expect(values['database-url']).toBe(
      `postgres://keelson_app:${values['postgres-app-password']}@postgres:5432/keelson`,
    );
    expect(values['migration-database-url']).toBe(
      `postgres://keelson_owner:${values['postgres-owner-password']}@postgres:5432/keelson`,
    );
    expect(values['redis-url']).toBe(`redis://keelson:${values['redis-password']}@redis:6379`);
    // Redis keeps the password's hash only; `default` (unauthenticated) is off, with the
    // permissions Redis needs to replay its append-only file as it.
    expect(values['redis-acl']!.trim().split('\n')).toEqual([
      'user default off nopass ~* &* +@all',
      `user keelson on #${sha256(values['redis-password']!)} ~* &* +@all`,
    ]);
    expect(values['redis-acl']).not.toContain(values['redis-password']);
    // The folder is private; the files are readable by the containers' own user (uid 1000).
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    for (const name of NAMES) expect((await stat(join(dir, 'secrets', name))).mode & 0o777, name).toBe(0o644);
  });

  it('never overwrites: a second run keeps every value, a missing derived file is rebuilt from the kept password', async () => {
    await run(SCRIPT, [join(dir, 'secrets')]);
    const first = await Promise.all(NAMES.map(read));
    for (const name of ['database-url', 'migration-database-url', 'redis-url', 'redis-acl'])
      await unlink(join(dir, 'secrets', name));
    const { stdout } = await run(SCRIPT, [join(dir, 'secrets')]);
    expect(stdout).toMatch(/jwt-secret exists, kept/);
    expect(await Promise.all(NAMES.map(read))).toEqual(first);
  });

  it('rewrites a redis-acl kept from an earlier version, whose PING-only default lost the queue on restart', async () => {
    await run(SCRIPT, [join(dir, 'secrets')]);
    const current = await read('redis-acl');
    const keelson = current.split('\n')[1]!;
    await writeFile(
      join(dir, 'secrets', 'redis-acl'),
      `user default on nopass resetchannels -@all +ping\n${keelson}\n`,
    );
    const { stdout } = await run(SCRIPT, [join(dir, 'secrets')]);
    expect(stdout).toMatch(/redis-acl is from an earlier version/);
    expect(await read('redis-acl')).toBe(current);
  });

  it('refuses a kept file that no longer matches the password it was written from', async () => {
    await run(SCRIPT, [join(dir, 'secrets')]);
    for (const [password, derived] of [
      ['postgres-app-password', 'database-url'],
      ['postgres-owner-password', 'migration-database-url'],
      ['redis-password', 'redis-url'],
    ]) {
      const kept = await read(password!);
      await unlink(join(dir, 'secrets', password!));
      await expect(run(SCRIPT, [join(dir, 'secrets')])).rejects.toThrow(
        new RegExp(`${derived} does not contain ${password}`),
      );
      await writeFile(join(dir, 'secrets', password!), kept);
    }
    // The Redis users file is checked against the password too (it holds the hash).
    await writeFile(join(dir, 'secrets', 'redis-acl'), 'user keelson on #00 ~* &* +@all\n');
    await expect(run(SCRIPT, [join(dir, 'secrets')])).rejects.toThrow(/redis-acl does not hold the hash/);
  });
});
