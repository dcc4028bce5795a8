import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface SecurityHeadersOptions {
  /** Allowed browser origins; empty: no cross-origin access at all. */
  corsOrigins: string[];
}

/**
 * helmet's headers on every response. The API serves JSON only, so its default CSP is tightened
 * to "nothing may load" (the docs page, outside production, sets its own). CORS lets exactly the
 * configured origins call the API from a browser; bearer tokens, not cookies, so no credentials.
 */
async function securityHeaders(app: FastifyInstance, { corsOrigins }: SecurityHeadersOptions) {
  await app.register(helmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  await app.register(cors, {
    origin: corsOrigins.length === 0 ? false : corsOrigins.includes('*') ? '*' : corsOrigins,
    methods: ['GET', 'POST', 'DELETE'],
    // mcp-protocol-version: browser-based MCP clients (e.g. an inspector) send it to /mcp.
    allowedHeaders: [
      'authorization',
      'content-type',
      'idempotency-key',
      'x-request-id',
      'mcp-protocol-version',
    ],
    exposedHeaders: [
      'location',
      'retry-after',
      'x-request-id',
      'idempotent-replayed',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: 600,
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
