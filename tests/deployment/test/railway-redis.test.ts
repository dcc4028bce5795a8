import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { DatabaseNode } from 'railway/iac';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRedisInfo, redisRequirementProblems } from '../../../packages/queue/src/redis-requirements.ts';
import { railwayResources } from '../src/platforms.ts';

/**
 * The start command `.railway/railway.ts` gives Railway's Redis, run the way Railway runs it on
 * an image (it replaces the ENTRYPOINT, exec form: `/bin/sh -c "…"`), on the Redis image compose
 * uses, with the variables Railway sets. The server it starts must pass the task-runner's own
 * requirements check, and still pass it after a restart: a `CONFIG SET` would not.
 */

const IMAGE = 'redis:8';
const name = `keelson-railway-redis-${randomBytes(4).toString('hex')}`;
const password = randomBytes(18).toString('base64url');

const docker = (...args: string[]) => {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`docker is needed for this test: ${result.error.message}`);
  return result;
};
const cli = (...args: string[]) =>
  docker('exec', name, 'redis-cli', '--no-auth-warning', '-a', password, ...args);

async function untilAnswering() {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (cli('PING').stdout.trim() === 'PONG') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not answer: ${docker('logs', name).stderr}`);
}

afterAll(() => {
  docker('rm', '--force', '--volumes', name);
});

describe("Railway's Redis, started with the file's start command", () => {
  it('meets the queue requirements (noeviction) with its password and AOF, also after a restart', async () => {
    const cache = (await railwayResources()).find(
      (r): r is DatabaseNode => r.type === 'database' && r.engine === 'redis',
    )!;
    const start = /^\/bin\/sh -c "(.*)"$/.exec(cache.deploy?.startCommand ?? '');
    expect(start, 'an exec-form `/bin/sh -c "…"` start command').not.toBeNull();

    const run = docker(
      'run',
      '--detach',
      '--name',
      name,
      '--env',
      'RAILWAY_VOLUME_MOUNT_PATH=/data',
      '--env',
      `REDIS_PASSWORD=${password}`,
      '--entrypoint',
      '/bin/sh',
      IMAGE,
      '-c',
      start![1]!,
    );
    expect(run.status, run.stderr).toBe(0);

    for (const phase of ['started', 'restarted']) {
      if (phase === 'restarted') expect(docker('restart', name).status).toBe(0);
      await untilAnswering();
      const info = cli('INFO').stdout;
      expect(redisRequirementProblems(parseRedisInfo(info)), phase).toEqual([]);
      expect(info, phase).toMatch(/^aof_enabled:1\r?$/m);
      // REDIS_URL carries the password: the server asks for it.
      const anonymous = docker('exec', name, 'redis-cli', 'PING');
      expect(`${anonymous.stdout}${anonymous.stderr}`, phase).toMatch(/NOAUTH/);
    }
  });
});
