import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

export interface SecurityHeadersOptions {
  /** Allowed browser origins; empty: no cross-origin access at all. */
  corsOrigins: string[];
}

/**
 * helmet's configuration: its defaults, with the CSP tightened to "nothing may load" because the
 * API serves JSON only (the docs page, outside production, sets its own).
 */
export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
};

/**
 * The headers helmet's middleware sets for `options`, computed once by running it against a
 * response that records them. They depend on nothing in the request; @fastify/helmet built a new
 * helmet middleware (options parsed, CSP string assembled) for every request, in two hooks.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  // helmet throws a bad option itself; its callback's error argument is kept for compatibility only.
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error)
      throw error instanceof Error ? error : new Error('helmet refused its options', { cause: error });
  });
  return headers;
}

/**
 * helmet's headers on every response (errors and 404s included: onRequest runs for them too).
 * CORS lets exactly the configured origins call the API from a browser; bearer tokens, not
 * cookies, so no credentials.
 */
async function securityHeaders(app: FastifyInstance, { corsOrigins }: SecurityHeadersOptions) {
  const headers = helmetHeaders(HELMET_OPTIONS);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  // No origins, no CORS: without the plugin a browser's cross-origin call gets no CORS header and
  // a preflight 404, exactly what it answers with `origin: false`, minus its hook on every request.
  if (corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: corsOrigins.includes('*') ? '*' : corsOrigins,
    methods: ['GET', 'POST', 'DELETE'],
    // mcp-protocol-version: browser-based MCP clients (e.g. an inspector) send it to /mcp.
    allowedHeaders: [
      'authorization',
      'content-type',
      'idempotency-key',
      'x-request-id',
      'mcp-protocol-version',
      // A fetch-based client resuming a run's events sends it itself (EventSource adds it alone).
      'last-event-id',
    ],
    exposedHeaders: [
      'location',
      'retry-after',
      'x-request-id',
      'idempotent-replayed',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      // The run a message or chat started: a browser resumes or cancels it by this id.
      'x-keelson-run-id',
    ],
    maxAge: 600,
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
