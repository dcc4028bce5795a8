import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OWNER_HEADER } from '../app/authentication.ts';

type Transform = typeof jsonSchemaTransform;

/**
 * fastify-type-provider-zod's transform, also for a body given per content type (`body: { content:
 * { 'application/json': { schema }, 'multipart/form-data': { schema } } }`, which Fastify validates
 * per type): each type's zod schema is converted like a plain body would be. A nullable one is
 * documented as what it wraps: a body a parser leaves null (multipart, read as a stream by the
 * handler) validates as null but is described as the form it carries.
 */
const transform: Transform = (document) => {
  const body = document.schema?.body as { content?: Record<string, { schema: unknown }> } | undefined;
  if (!body?.content) return jsonSchemaTransform(document);
  const { body: _body, ...rest } = document.schema;
  const transformed = jsonSchemaTransform({ ...document, schema: rest });
  const content = Object.fromEntries(
    Object.entries(body.content).map(([type, { schema }]) => {
      const documented = schema instanceof z.ZodNullable ? schema.unwrap() : schema;
      const converted = jsonSchemaTransform({ ...document, schema: { body: documented } });
      return [type, { schema: (converted.schema as { body: unknown }).body }];
    }),
  );
  return { ...transformed, schema: { ...transformed.schema, body: { content } } };
};

export interface OpenApiOptions {
  /** Serve the interactive reference at /docs (never in production: it is an attack map). */
  ui: boolean;
}

/**
 * OpenAPI 3.1, generated from the zod schemas the routes validate and serialize with, so the
 * document cannot drift from the behaviour. `pnpm --filter @repo/api openapi` writes it to the
 * repository's openapi.json, and a test fails when that file is stale.
 */
async function openApi(app: FastifyInstance, { ui }: OpenApiOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keelson API',
        version: '0.1.0',
        description:
          'Documents, full-text and vector search, background tasks and conversations with the agent, ' +
          'each owned by the caller. Errors are RFC 9457 problem+json. The same tools are served to MCP ' +
          'clients at POST /mcp (JSON-RPC, not described here; see the api README).',
      },
      tags: [
        {
          name: 'documents',
          description: 'Store documents; they are chunked and indexed in the background.',
        },
        { name: 'search', description: "Search the caller's chunks." },
        { name: 'tasks', description: 'Background work: agent runs, status, results, cancellation.' },
        {
          name: 'conversations',
          description:
            'Conversations with the agent: each message is answered by the agent service, as JSON or as server-sent events.',
        },
        {
          name: 'api-keys',
          description: 'Credentials for machine clients: created (shown once), listed, revoked.',
        },
        { name: 'probes', description: 'Liveness and readiness for orchestrators and load balancers.' },
        { name: 'console', description: "The web console's public settings, read before sign-in." },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              "A JWT whose `sub` is the owner id: HS256, or RS256/ES256 from the identity provider's JWKS.",
          },
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'kls_<prefix>_<secret>',
            description:
              'An API key (`POST /v1/api-keys`): acts as its owner, limited to its scopes (read, write, agent, keys).',
          },
          serviceToken: {
            type: 'http',
            scheme: 'bearer',
            description: `The service token of internal callers, with ${OWNER_HEADER} naming the owner it acts for.`,
          },
          onBehalfOf: { type: 'apiKey', in: 'header', name: OWNER_HEADER },
        },
      },
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  });
  if (ui) await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

export default fp(openApi, { name: 'openapi' });
