export { jobNames, jobs, parseJobPayload, retention, type JobName, type JobPayload } from './jobs.ts';
export {
  createProducer,
  QueueUnavailableError,
  type EnqueueOptions,
  type Producer,
  type ProducerOptions,
} from './producer.ts';
export { createRedis, Redis, redisOptions } from './redis.ts';
export { cancellationChannel, publishCancellation, subscribeCancellations } from './cancellation.ts';
