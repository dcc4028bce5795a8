import type { Redis } from 'ioredis';

/** BullMQ 6 relies on commands and Lua behaviour of Redis 6.2 (e.g. `ZADD GT`, `GETDEL`). */
export const MINIMUM_REDIS_VERSION = '6.2.0';

/**
 * With any other policy Redis may evict job keys under memory pressure: jobs disappear silently
 * and BullMQ's data structures become inconsistent. BullMQ only warns; we refuse to start.
 */
export const REQUIRED_MAXMEMORY_POLICY = 'noeviction';

/** Redis is reachable but not fit to hold the queues; the message says what to change. */
export class RedisRequirementError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Redis does not meet the queue's requirements:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RedisRequirementError';
    this.problems = problems;
  }
}

export interface RedisServerInfo {
  version: string;
  maxmemoryPolicy: string | undefined;
}

/**
 * Reads the fields we need from `INFO` output. `INFO` rather than `CONFIG GET` because managed
 * Redis services (ElastiCache, Upstash, Memorystore) often disable `CONFIG`, never `INFO`.
 */
export function parseRedisInfo(info: string): RedisServerInfo {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const separator = line.indexOf(':');
    if (separator > 0 && !line.startsWith('#'))
      fields.set(line.slice(0, separator), line.slice(separator + 1));
  }
  return {
    version: fields.get('redis_version') ?? '0.0.0',
    maxmemoryPolicy: fields.get('maxmemory_policy'),
  };
}

/** Compares dotted versions numerically (`6.10.0` > `6.2.0`); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [left, right] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** Every problem with this server, each phrased as what to set and how; empty when fit. */
export function redisRequirementProblems(info: RedisServerInfo): string[] {
  const problems: string[] = [];
  if (compareVersions(info.version, MINIMUM_REDIS_VERSION) < 0) {
    problems.push(
      `Redis ${info.version} is too old: BullMQ needs Redis ${MINIMUM_REDIS_VERSION} or newer. Upgrade the server.`,
    );
  }
  if (info.maxmemoryPolicy !== REQUIRED_MAXMEMORY_POLICY) {
    // CONFIG SET alone is undone by the next restart of Redis: the message leads with the
    // settings a server reads at start-up, per platform (deployment.md, "Redis noeviction").
    problems.push(
      `maxmemory-policy is "${info.maxmemoryPolicy ?? 'unknown'}" but must be "${REQUIRED_MAXMEMORY_POLICY}": ` +
        `under memory pressure Redis would evict job keys and lose jobs. Set it where Redis reads it at ` +
        `start-up: \`--maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY}\` on the redis-server command line ` +
        `(on Railway, the Redis service's start command, which .railway/railway.ts sets), ` +
        `\`maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY}\` in redis.conf, \`maxmemoryPolicy: ` +
        `${REQUIRED_MAXMEMORY_POLICY}\` on a Render Key Value, or the parameter group of ElastiCache. ` +
        `\`redis-cli CONFIG SET maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY}\` fixes a running server ` +
        `only until it restarts.`,
    );
  }
  return problems;
}

/** Throws `RedisRequirementError` unless the server can safely hold BullMQ queues. */
export async function assertRedisRequirements(redis: Redis): Promise<RedisServerInfo> {
  const info = parseRedisInfo(await redis.info());
  const problems = redisRequirementProblems(info);
  if (problems.length > 0) throw new RedisRequirementError(problems);
  return info;
}
