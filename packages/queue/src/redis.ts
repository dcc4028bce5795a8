import { Redis, type RedisOptions } from 'ioredis';

export { Redis } from 'ioredis';

/**
 * Connection options by role, following BullMQ's guidance:
 * - producers fail fast: with no offline queue a command issued while Redis is down errors at
 *   once instead of waiting for a reconnect, so an HTTP request can answer 503 instead of hanging;
 * - workers wait forever (`maxRetriesPerRequest: null`, required by BullMQ's blocking commands)
 *   and pick up by themselves when Redis returns.
 * Both reconnect with a capped backoff for as long as the process lives.
 */
export function redisOptions(role: 'producer' | 'worker'): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
  return role === 'producer'
    ? { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1 }
    : { ...common, maxRetriesPerRequest: null };
}

export function createRedis(url: string, role: 'producer' | 'worker', name: string): Redis {
  // `connectionName` appears in `CLIENT LIST`, to tell the services apart on a shared Redis.
  return new Redis(url, { ...redisOptions(role), connectionName: name });
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether an error only says "Redis is not reachable right now". ioredis reconnects by itself; a
 * process reports such errors once per outage on the connection, and can ignore them wherever
 * else (queues, workers) they are repeated.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (code !== undefined && CONNECTION_ERROR_CODES.has(code)) ||
    /^(Connection is closed|Stream isn't writeable|connect ETIMEDOUT)/.test(error.message)
  );
}
