export { jobNames, jobs, parseJobPayload, retention, type JobName, type JobPayload } from './jobs.ts';
export { fairPriority, LOWEST_PRIORITY } from './fairness.ts';
export {
  createProducer,
  importBullmq,
  QueueUnavailableError,
  type EnqueueOptions,
  type Producer,
  type ProducerOptions,
} from './producer.ts';
export { createRedis, isConnectionError, Redis, redisOptions } from './redis.ts';
export { cancellationChannel, publishCancellation, subscribeCancellations } from './cancellation.ts';
export {
  assertRedisRequirements,
  compareVersions,
  MINIMUM_REDIS_VERSION,
  parseRedisInfo,
  redisRequirementProblems,
  RedisRequirementError,
  REQUIRED_MAXMEMORY_POLICY,
  type RedisServerInfo,
} from './redis-requirements.ts';
