export { safeErrorMessage, scrubSecrets, serializeError } from './errors.ts';
export { httpMetricsPlugin, type HttpMetricsOptions } from './fastify-metrics.ts';
export { createLogger, loggerOptions, REDACT_PATHS, type Logger, type LoggerConfig } from './logger.ts';
export { requestLogging } from './request-logging.ts';
export { Counter, Gauge, Histogram, createMetricsRegistry, type Registry } from './metrics.ts';
export {
  createJobMetrics,
  createRoleGauge,
  registerQueueDepthGauge,
  type JobMetrics,
  type JobOutcome,
  type QueueCounts,
} from './queue-metrics.ts';
