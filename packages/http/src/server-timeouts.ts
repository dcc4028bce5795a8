import type { ServerOptions } from 'node:http';

/** The timeouts an app's configuration gives (`httpServerTimeouts` of `@repo/config`). */
export interface ServerTimeoutSettings {
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_IDLE_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
}

/**
 * Request headers must be complete within this (or the request timeout, if shorter): a client
 * that sends them a byte at a time (slowloris) is cut early, whatever the body may take.
 */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Fastify options bounding what a client may take (see `httpServerTimeouts` in `@repo/config`):
 * `requestTimeout` for the whole request, Node's `headersTimeout` for its headers (408 and
 * close, answered by Node itself before any route runs), `connectionTimeout` for a silent socket,
 * `keepAliveTimeout` between requests. Node checks the first two on a timer, every 30 s by
 * default, so a trickled body would live up to 30 s past its deadline; this checks every second.
 */
export function serverTimeoutOptions(settings: ServerTimeoutSettings) {
  const requestTimeout = settings.HTTP_REQUEST_TIMEOUT_MS;
  const http: ServerOptions = {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    connectionsCheckingInterval: Math.min(1_000, requestTimeout),
  };
  return {
    requestTimeout,
    connectionTimeout: settings.HTTP_IDLE_TIMEOUT_MS,
    keepAliveTimeout: settings.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http,
  };
}
