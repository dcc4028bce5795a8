import { problemResponse } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { consoleConfigSchema, type ConsoleConfig } from '../console/console-config.ts';

/**
 * `GET /v1/console/config`: how the web console offers sign-in on this deployment. The one /v1
 * route without authentication, on purpose: it is read before anyone is signed in, and says only
 * what the sign-in page shows anyway (the provider's issuer and the console's public client id;
 * neither is a secret in a public OAuth client). It is registered beside v1Routes, not in it, so
 * v1Routes' rule that every route names a permission stays unconditional.
 */
export const consoleConfigRoutes: FastifyPluginAsyncZod<{ config: ConsoleConfig }> = async (
  app,
  { config },
) => {
  app.get(
    '/v1/console/config',
    {
      schema: {
        summary: "The web console's sign-in settings (public, no authentication).",
        description:
          'Read by the console before sign-in, so one console image serves every deployment: ' +
          'the OpenID Connect provider and public client id from `JWT_ISSUER` and ' +
          '`CONSOLE_OIDC_CLIENT_ID`, and whether the development sign-in exists.',
        tags: ['console'],
        security: [],
        response: {
          200: consoleConfigSchema.describe('How the console signs in.'),
          // The global rate limiter counts it too (by IP address, as nobody is signed in).
          429: problemResponse('Rate limit exceeded; retry after Retry-After seconds.'),
        },
      },
    },
    async (_request, reply) => {
      // Cached briefly: it changes only with a redeploy, and every console load asks for it.
      void reply.header('cache-control', 'public, max-age=60');
      return config;
    },
  );
};
