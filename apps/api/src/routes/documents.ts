import { documentStatuses } from '@repo/db';
import { notFound, problemResponse, timestamp, validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DocumentsService } from '../documents/documents-service.ts';
import { page, pageQuery } from '../http/pagination.ts';
import { pgText } from '../http/schemas.ts';

const documentId = z.object({ id: z.uuid() });

const newDocument = z.object({
  title: pgText().trim().min(1).max(300),
  content: pgText().min(1).max(1_000_000),
});

/** Printable ASCII, as Stripe and the IETF draft use it; a UUID is a good choice. */
const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'expected 1-255 printable ASCII characters')
    .optional()
    .describe('Retrying with the same key and body returns the first answer; a different body is a 409.'),
});

const documentView = z.object({
  id: z.uuid(),
  title: z.string(),
  status: z.enum(documentStatuses),
  error: z.string().nullable(),
  chunkCount: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const documentRoutes: FastifyPluginAsyncZod<{ documents: DocumentsService }> = async (
  app,
  { documents },
) => {
  app.post(
    '/v1/documents',
    {
      config: { permission: 'documents:write' },
      schema: {
        summary: 'Store a document and queue it for ingestion (chunking and indexing).',
        tags: ['documents'],
        headers: idempotencyHeaders,
        body: newDocument,
        response: {
          202: z
            .object({ id: z.uuid(), status: z.literal('queued') })
            .describe('Stored and queued for ingestion; `Location` names the document.'),
          400: validationProblem,
          409: problemResponse('The Idempotency-Key was used before with a different body.'),
          429: problemResponse(
            'Rate limit exceeded, or a quota is used up: `urn:keelson:problem:quota-exceeded` names it (`quota`: documents or stored-bytes), its `limit` and what is `used`.',
          ),
          503: problemResponse('The job queue is unavailable; nothing was stored. Retry after Retry-After.'),
        },
      },
    },
    async (request, reply) => {
      const created = await documents.create(
        request.ownerId,
        request.body,
        request.headers['idempotency-key'],
      );
      if (created.replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(202)
        .header('location', `/v1/documents/${created.id}`)
        .send({ id: created.id, status: 'queued' });
    },
  );

  app.get(
    '/v1/documents',
    {
      config: { permission: 'documents:read' },
      schema: {
        summary: "The caller's documents, newest first, with cursor pagination.",
        tags: ['documents'],
        querystring: z.object({ ...pageQuery, status: z.enum(documentStatuses).optional() }),
        response: {
          200: page(documentView).describe("A page of the caller's documents."),
          400: validationProblem,
        },
      },
    },
    async (request) => {
      const { limit, cursor, status } = request.query;
      return documents.list(request.ownerId, { limit, cursor, ...(status ? { status } : {}) });
    },
  );

  app.get(
    '/v1/documents/:id',
    {
      config: { permission: 'documents:read' },
      schema: {
        summary: "A document's ingestion status and chunk count.",
        tags: ['documents'],
        params: documentId,
        response: {
          200: documentView.describe('The document.'),
          400: validationProblem,
          404: problemResponse('No such document.'),
        },
      },
    },
    async (request) => {
      const document = await documents.get(request.ownerId, request.params.id);
      if (!document) throw notFound('document');
      return document;
    },
  );

  app.delete(
    '/v1/documents/:id',
    {
      config: { permission: 'documents:delete' },
      schema: {
        summary: 'Delete a document and its chunks; its pending ingestion is cancelled.',
        tags: ['documents'],
        params: documentId,
        response: {
          204: z.null().describe('Deleted.'),
          400: validationProblem,
          404: problemResponse('No such document.'),
        },
      },
    },
    async (request, reply) => {
      if (!(await documents.delete(request.ownerId, request.params.id))) throw notFound('document');
      return reply.code(204).send(null);
    },
  );
};
