import { validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { signAccessToken } from '../auth/access-tokens.ts';
import { OWNER_ID } from '../auth/permissions.ts';

/** A development token lives as long as `pnpm token`'s default: a working session, not a day. */
const DEV_TOKEN_TTL_S = 3_600;

const devTokenRequest = z.object({
  subject: z.string().regex(OWNER_ID, '1-255 printable ASCII characters').default('developer'),
});

export interface DevTokenOptions {
  secret: string;
  issuer?: string | undefined;
  audience?: string | undefined;
}

/**
 * `POST /dev/token`: the web console's one-click development identity. Registered by app.ts only
 * when NODE_ENV=development and the api signs with the public development secret (no JWT_SECRET,
 * no JWT_JWKS_URL). Anyone can already mint such a token from the repository, so the route grants
 * nothing new; with a secret of its own (a shared or production stack) it does not exist and the
 * console signs in through the identity provider instead. Hidden from the OpenAPI document: it is
 * not part of the api's contract.
 */
export const devTokenRoutes: FastifyPluginAsyncZod<DevTokenOptions> = async (app, options) => {
  app.post(
    '/dev/token',
    {
      schema: {
        hide: true,
        body: devTokenRequest,
        response: {
          200: z.object({ token: z.string(), subject: z.string(), expiresInSeconds: z.number().int() }),
          400: validationProblem,
        },
      },
    },
    async (request) => {
      const { subject } = request.body;
      const token = await signAccessToken({ ...options, subject, expiresInSeconds: DEV_TOKEN_TTL_S });
      return { token, subject, expiresInSeconds: DEV_TOKEN_TTL_S };
    },
  );
};
