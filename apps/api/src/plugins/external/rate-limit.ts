import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import { HttpProblem } from '@repo/http';
import type { Redis } from '@repo/queue';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { LeasedRedisStore } from '../../rate-limit/leased-store.ts';

export interface RateLimitOptions {
  redis: Redis;
  /** Keys live under `<prefix>:rate-limit:`, beside the stack's queues on the same Redis. */
  prefix: string;
  max: number;
  windowMs: number;
}

/**
 * One budget per caller, counted in Redis so every replica shares it: N replicas do not mean
 * N times the limit. Replicas lease requests from the shared counter several at a time instead of
 * asking Redis on every request (rate-limit/leased-store.ts says what that costs in accuracy). The
 * caller is the owner when the request carries a valid credential (so one user cannot multiply
 * their budget over several addresses), else the client's IP address (behind the trusted proxies;
 * IPv6 by /64). Probes are never limited.
 *
 * If Redis cannot be asked, requests pass (`skipOnError`): an outage of the limiter must not
 * become an outage of the reads that only need Postgres.
 */
async function rateLimiting(app: FastifyInstance, options: RateLimitOptions) {
  const nameSpace = `${options.prefix}:rate-limit:`;
  // The library constructs the store itself, with its own options: this class carries ours.
  const Store = class extends LeasedRedisStore {
    constructor() {
      super({ redis: options.redis, nameSpace });
    }
  };
  // Probes get no limiter hook at all (the library adds none to a route whose `rateLimit` is
  // false) instead of one that runs on every probe only to find it exempt. This hook runs before
  // the library's own, which is added next.
  app.addHook('onRoute', (route) => {
    if (route.config?.probe === true) route.config = { ...route.config, rateLimit: false };
  });
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    store: Store,
    skipOnError: true,
    keyGenerator: (request) =>
      request.principal ? `owner:${request.principal.ownerId}` : `ip:${normalizeIP(request.ip)}`,
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
