import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import { HttpProblem } from '@repo/http';
import type { Redis } from '@repo/queue';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface RateLimitOptions {
  redis: Redis;
  /** Keys live under `<prefix>:rate-limit:`, beside the stack's queues on the same Redis. */
  prefix: string;
  max: number;
  windowMs: number;
}

/**
 * One budget per caller, counted in Redis so every replica shares it: N replicas do not mean
 * N times the limit. The caller is the owner when the request carries a valid credential (so
 * one user cannot multiply their budget over several addresses), else the client's IP address
 * (behind the trusted proxies; IPv6 by /64). Probes are never limited.
 *
 * If Redis cannot be asked, requests pass (`skipOnError`): an outage of the limiter must not
 * become an outage of the reads that only need Postgres.
 */
async function rateLimiting(app: FastifyInstance, options: RateLimitOptions) {
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    redis: options.redis,
    nameSpace: `${options.prefix}:rate-limit:`,
    skipOnError: true,
    keyGenerator: (request) =>
      request.principal ? `owner:${request.principal.ownerId}` : `ip:${normalizeIP(request.ip)}`,
    allowList: (request) => request.routeOptions.config.probe === true,
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(
        context.statusCode,
        `Rate limit exceeded: at most ${context.max} requests per window. Retry in ${context.after}.`,
        {
          type: 'urn:keelson:problem:rate-limited',
        },
      ),
  });
}

export default fp(rateLimiting, { name: 'rate-limiting', dependencies: ['authentication'] });
