import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { documentStatuses } from '@repo/db';
import { z } from 'zod';
import type { DocumentsService } from '../documents/documents-service.ts';
import { notFound } from '../http/problem.ts';
import { timestamp } from '../http/schemas.ts';

const documentId = z.object({ id: z.uuid() });

const newDocument = z.object({
  title: z.string().trim().min(1).max(300),
  content: z.string().min(1).max(1_000_000),
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
      schema: {
        summary: 'Store a document and queue it for ingestion (chunking and indexing).',
        tags: ['documents'],
        body: newDocument,
        response: { 202: z.object({ id: z.uuid(), status: z.literal('queued') }) },
      },
    },
    async (request, reply) => {
      const created = await documents.create(request.ownerId, request.body);
      return reply
        .code(202)
        .header('location', `/v1/documents/${created.id}`)
        .send({ ...created, status: 'queued' });
    },
  );

  app.get(
    '/v1/documents/:id',
    {
      schema: {
        summary: "A document's ingestion status and chunk count.",
        tags: ['documents'],
        params: documentId,
        response: { 200: documentView },
      },
    },
    async (request) => {
      const document = await documents.get(request.ownerId, request.params.id);
      if (!document) throw notFound('document');
      return document;
    },
  );
};
