import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Until authentication lands, every request acts for this one development owner. It is defined
 * here and nowhere else, so replacing it with the token's subject is a change to this file.
 */
export const DEVELOPMENT_OWNER_ID = 'dev-owner';

declare module 'fastify' {
  interface FastifyRequest {
    /** Whose data this request may see and change. */
    ownerId: string;
  }
}

async function owner(app: FastifyInstance) {
  app.decorateRequest('ownerId', '');
  app.addHook('onRequest', async (request) => {
    request.ownerId = DEVELOPMENT_OWNER_ID;
  });
}

export default fp(owner, { name: 'owner' });
