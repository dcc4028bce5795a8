import { waitFor } from '@repo/testing';
import { describe, expect, inject, it } from 'vitest';
import {
  assertRedisRequirements,
  compareVersions,
  createRedis,
  parseRedisInfo,
  redisRequirementProblems,
} from '../src/index.ts';

const info = (fields: Record<string, string>) =>
  ['# Server', ...Object.entries(fields).map(([key, value]) => `${key}:${value}`), ''].join('\r\n');

describe('the Redis requirements', () => {
  it('reads the version and eviction policy from INFO output', () => {
    expect(
      parseRedisInfo(
        info({ redis_version: '7.4.2', redis_mode: 'standalone', maxmemory_policy: 'noeviction' }),
      ),
    ).toEqual({ version: '7.4.2', maxmemoryPolicy: 'noeviction' });
    expect(parseRedisInfo('# Server\r\n')).toEqual({ version: '0.0.0', maxmemoryPolicy: undefined });
  });

  it('compares versions numerically, not as text', () => {
    expect(compareVersions('6.10.0', '6.2.0')).toBe(1);
    expect(compareVersions('6.2', '6.2.0')).toBe(0);
    expect(compareVersions('6.0.20', '6.2.0')).toBe(-1);
    expect(compareVersions('8.0.1', '6.2.0')).toBe(1);
  });

  it('accepts Redis 6.2+ with noeviction and names the setting to fix otherwise', () => {
    expect(redisRequirementProblems({ version: '6.2.0', maxmemoryPolicy: 'noeviction' })).toEqual([]);

    const [policy] = redisRequirementProblems({ version: '7.2.4', maxmemoryPolicy: 'allkeys-lru' });
    expect(policy).toContain('maxmemory-policy is "allkeys-lru"');
    expect(policy).toContain('CONFIG SET maxmemory-policy noeviction');
    // The fixes that survive a restart, the Railway one by name (CONFIG SET alone does not).
    expect(policy).toContain('--maxmemory-policy noeviction` on the redis-server command line');
    expect(policy).toContain("on Railway, the Redis service's start command");
    expect(policy).toContain('only until it restarts');

    const [version] = redisRequirementProblems({ version: '6.0.16', maxmemoryPolicy: 'noeviction' });
    expect(version).toMatch(/Redis 6\.0\.16 is too old.*6\.2\.0/);
  });

  it('passes against the test Redis (redis:8 with noeviction, as in compose.yaml)', async () => {
    const redis = createRedis(inject('redisUrl'), 'producer', 'queue-test-requirements');
    try {
      await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
      await expect(assertRedisRequirements(redis)).resolves.toMatchObject({ maxmemoryPolicy: 'noeviction' });
    } finally {
      redis.disconnect();
    }
  });
});
