import { pino, type Logger, type LoggerOptions } from 'pino';
import { serializeError } from './errors.ts';

export type { Logger } from 'pino';

export interface LoggerConfig {
  service: string;
  level: string;
  /** Extra fields on every line (e.g. the replica's hostname is added by pino already). */
  base?: Record<string, unknown>;
}

/**
 * Never log a credential. Paths cover Fastify's request/response serializers, raw header objects,
 * and the names secrets usually go by anywhere one level deep in a logged object.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'password',
  'apiKey',
  'api_key',
  'token',
  '*.password',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.secret',
  '*.authorization',
];

export function loggerOptions(config: LoggerConfig): LoggerOptions {
  return {
    level: config.level,
    base: { service: config.service, ...config.base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Errors keep their cause, not the prompt, the query's parameters or a provider's key (errors.ts).
    serializers: { err: serializeError },
    // ISO time instead of epoch millis: readable in `docker compose logs`, parsed by every shipper.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** JSON lines on stdout: the container platform collects them; pipe through `pino-pretty` locally. */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(config), destination) : pino(loggerOptions(config));
}
