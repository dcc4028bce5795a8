import type { Logger } from '@repo/observability';
import type { Queue } from 'bullmq';
import { bounded } from '../support/time-bounds.ts';
import type { JobDefinition } from './job-definition.ts';

const REDIS_TIMEOUT_MS = 5_000;

/**
 * Writes each queue's global concurrency (the jobs at once across every replica) from the job
 * table into Redis, where every worker's fetch reads it: on every leader start, like the job
 * schedulers, so a changed table converges and a limit removed from it is removed from Redis.
 */
export async function applyQueueSettings(
  definitions: readonly JobDefinition[],
  queueOf: (name: string) => Queue,
  logger: Logger,
): Promise<void> {
  const redis = <T>(call: Promise<T>) => bounded(call, REDIS_TIMEOUT_MS, 'redis (queue settings)');
  for (const definition of definitions) {
    const queue = queueOf(definition.name);
    if (definition.globalConcurrency === undefined) await redis(queue.removeGlobalConcurrency());
    else await redis(queue.setGlobalConcurrency(definition.globalConcurrency));
  }
  const limited = definitions.filter((definition) => definition.globalConcurrency !== undefined);
  logger.info(
    Object.fromEntries(limited.map((definition) => [definition.name, definition.globalConcurrency])),
    'global concurrency set',
  );
}
