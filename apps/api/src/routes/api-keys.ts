import { apiKeyScopes } from '@repo/db';
import { HttpProblem, problemResponse, timestamp, validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_KEYS_PER_OWNER, type ApiKeysService } from '../api-keys/api-keys-service.ts';
import { pgText } from '../http/schemas.ts';

const keyView = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('The visible part of the key (`kls_<prefix>_…`), to recognize it by.'),
  scopes: z.array(z.enum(apiKeyScopes)),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable().describe('Updated at most once a minute.'),
  expiresAt: timestamp.nullable(),
});

/** Expiry at most ten years ahead: "never" is what leaving it out means. */
const MAX_EXPIRY_MS = 10 * 365 * 24 * 3600 * 1000;

const newKey = z.object({
  name: pgText().trim().min(1).max(100).describe('What the key is for, e.g. "nightly import".'),
  scopes: z
    .array(z.enum(apiKeyScopes))
    .min(1)
    .max(apiKeyScopes.length)
    .describe('read, write, agent (runs the agent: spends tokens), keys (manages API keys).'),
  expiresAt: timestamp
    .refine((date) => date.getTime() > Date.now(), 'must be in the future')
    .refine((date) => date.getTime() < Date.now() + MAX_EXPIRY_MS, 'must be within ten years')
    .optional()
    .describe('When the key stops working; omitted: when it is revoked.'),
});

export const apiKeyRoutes: FastifyPluginAsyncZod<{ apiKeys: ApiKeysService }> = async (app, { apiKeys }) => {
  app.post(
    '/v1/api-keys',
    {
      config: { permission: 'api-keys:manage' },
      schema: {
        summary: 'Create an API key for a machine client; the key is in this answer only.',
        description:
          'A key is sent like a token (`Authorization: Bearer kls_…`) and acts as its owner limited ' +
          'to its scopes, on /v1 and /mcp. Only a keyed hash of it is stored: keep it, it cannot be ' +
          'shown again. An API key can create keys only with the `keys` scope, and only with ' +
          'scopes it holds itself.',
        tags: ['api-keys'],
        body: newKey,
        response: {
          201: keyView.extend({ key: z.string().describe('The key. Shown once.') }),
          400: validationProblem,
          403: problemResponse('The credential does not grant api-keys:manage, or a requested scope.'),
          409: problemResponse('The owner holds the maximum number of keys already.'),
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      if (principal.kind === 'api-key') {
        const missing = request.body.scopes.filter((scope) => !principal.scopes?.includes(scope));
        if (missing.length > 0) {
          throw new HttpProblem(
            403,
            `An API key cannot grant scopes it does not hold: ${missing.join(', ')}`,
            {
              type: 'urn:keelson:problem:forbidden',
            },
          );
        }
      }
      const created = await apiKeys.create(request.ownerId, request.body);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { permission: 'api-keys:manage' },
      schema: {
        summary: "The owner's API keys that are not revoked (never the keys themselves), newest first.",
        description: `An owner holds at most ${MAX_KEYS_PER_OWNER} keys, so one page holds them all.`,
        tags: ['api-keys'],
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(MAX_KEYS_PER_OWNER).default(MAX_KEYS_PER_OWNER),
        }),
        response: { 200: z.object({ items: z.array(keyView) }), 400: validationProblem },
      },
    },
    async (request) => ({ items: await apiKeys.list(request.ownerId, request.query.limit) }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { permission: 'api-keys:manage' },
      schema: {
        summary: 'Revoke an API key: refused on every replica within a second.',
        tags: ['api-keys'],
        params: z.object({ id: z.uuid() }),
        response: {
          204: z.null().describe('Revoked.'),
          400: validationProblem,
          404: problemResponse('No such key, or revoked already.'),
        },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(request.ownerId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
