import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '@repo/http';

export const OWNER_HEADER = 'x-keelson-owner';
/** Owner ids are the api's JWT subjects: any printable string, bounded. */
const OWNER = /^[\x21-\x7e]{1,256}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The owner the calling service acts for (from `x-keelson-owner`). */
    ownerId: string;
  }
}

/**
 * The agent is internal: every request but the probes carries the service token and names the
 * owner it acts for. Tokens are compared through their SHA-256 digests with `timingSafeEqual`,
 * so neither the content nor the length of the token leaks through timing.
 */
async function serviceAuth(app: FastifyInstance, { token }: { token: string }) {
  const expected = digest(token);
  app.decorateRequest('ownerId', '');
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.probe) return;
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      throw new HttpProblem(401, 'A valid service token is required', {
        headers: { 'www-authenticate': 'Bearer realm="keelson-agent"' },
      });
    }
    const owner = request.headers[OWNER_HEADER];
    if (typeof owner !== 'string' || !OWNER.test(owner)) {
      throw new HttpProblem(400, `The ${OWNER_HEADER} header must name the owner this call acts for`);
    }
    request.ownerId = owner;
  });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export default fp(serviceAuth, { name: 'service-auth' });
