import { int } from './schemas.ts';

const SECOND = 1_000;

/**
 * How long an HTTP server lets a client take, so one caller cannot hold connections open for free
 * (a body trickled a byte at a time, headers never finished, a socket left silent). Node's
 * defaults bound none of it but the headers (60 s). Per app, because what a response may
 * legitimately take differs: `idleTimeoutMs` is the longest a response may stay silent.
 */
export function httpServerTimeouts({ idleTimeoutMs }: { idleTimeoutMs: number }) {
  return {
    /**
     * The whole request — headers and body — must arrive within this, or the server answers 408
     * and closes the connection. Only the request: a response (a long turn, a server-sent event
     * stream) is not bound by it.
     */
    HTTP_REQUEST_TIMEOUT_MS: int(SECOND, 600 * SECOND).default(30 * SECOND),
    /**
     * A connection on which nothing is read or written for this long is closed: a client that
     * stops reading its response, or a request that stays silent. Above the longest silence of a
     * legitimate response.
     */
    HTTP_IDLE_TIMEOUT_MS: int(SECOND, 3_600 * SECOND).default(idleTimeoutMs),
    /**
     * An idle keep-alive connection between two requests is closed after this. Above the idle
     * time of the load balancer's connections to the replicas, so the balancer closes first and
     * never sends a request on a connection the server is closing (Fastify's default, 72 s).
     */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: int(SECOND, 600 * SECOND).default(72 * SECOND),
  };
}

export interface HttpServerTimeouts {
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_IDLE_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
}
