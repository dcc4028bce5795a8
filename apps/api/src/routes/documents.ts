import multipart from '@fastify/multipart';
import { documentStatuses } from '@repo/db';
import {
  HttpProblem,
  notFound,
  problemResponse,
  timestamp,
  VALIDATION_PROBLEM,
  validationProblem,
} from '@repo/http';
import { ACCEPTED_TYPES, type ObjectStorage } from '@repo/storage';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { openDocumentFile, type CreateFromUpload } from '../documents/document-files.ts';
import type { DocumentsService } from '../documents/documents-service.ts';
import { page, pageQuery } from '../http/pagination.ts';
import { pgText } from '../http/schemas.ts';

const documentId = z.object({ id: z.uuid() });

const newDocument = z.object({
  title: pgText().trim().min(1).max(300),
  content: pgText().min(1).max(1_000_000),
});

/**
 * The multipart form, for the OpenAPI document only: the parts are read as a stream by the
 * handler (document-files.ts), never parsed into a body (@fastify/multipart leaves it null), so
 * it is nullable; the OpenAPI transform documents the form itself.
 */
const uploadForm = z
  .object({
    file: z
      .string()
      .meta({ format: 'binary' })
      .describe(`The file: ${ACCEPTED_TYPES}, recognized by its content. At most UPLOAD_MAX_BYTES.`),
    title: z.string().max(300).optional().describe('Defaults to the file name.'),
  })
  .nullable();

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
  file: z
    .object({ name: z.string(), mediaType: z.string(), size: z.number().int() })
    .nullable()
    .describe('The uploaded file the document was made from (GET …/file); null for text sent as JSON.'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export interface DocumentRoutesOptions {
  documents: DocumentsService;
  uploads: CreateFromUpload;
  storage: ObjectStorage | undefined;
  /** UPLOAD_MAX_BYTES. */
  maxUploadBytes: number;
}

/** `filename*` (RFC 6266 / 8187) for any name, and a plain ASCII `filename` for old clients. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const documentRoutes: FastifyPluginAsyncZod<DocumentRoutesOptions> = async (
  app,
  { documents, uploads, storage, maxUploadBytes },
) => {
  // Registered here, not on the app: only this plugin's routes accept multipart bodies (every
  // other route keeps answering 415 to them). Busboy's own size limit sits one byte above ours,
  // so the UploadInspector is what refuses a file too large, with the limit named.
  await app.register(multipart, {
    limits: {
      fileSize: maxUploadBytes + 1,
      files: 1,
      fields: 2,
      parts: 3,
      fieldSize: 4_096,
      headerPairs: 100,
    },
  });

  app.post(
    '/v1/documents',
    {
      config: { permission: 'documents:write' },
      schema: {
        summary: 'Store a document and queue it for ingestion (conversion, chunking and indexing).',
        description:
          'As JSON, a text document. As `multipart/form-data`, a file (`file`, optional `title`) streamed to ' +
          `object storage: ${ACCEPTED_TYPES}, recognized by the file's content, not its name or declared type. ` +
          'The task-runner converts it to text; a file it cannot read ends as a `failed` document whose ' +
          '`error` says why.',
        tags: ['documents'],
        headers: idempotencyHeaders,
        body: {
          content: {
            'application/json': { schema: newDocument },
            'multipart/form-data': { schema: uploadForm },
          },
        },
        response: {
          202: z
            .object({ id: z.uuid(), status: z.literal('queued') })
            .describe('Stored and queued for ingestion; `Location` names the document.'),
          400: validationProblem,
          409: problemResponse('The Idempotency-Key was used before with a different body.'),
          413: problemResponse(
            'The body (JSON) or the file (multipart) is larger than the configured limit.',
          ),
          415: problemResponse(`The file's content is none of the accepted types (${ACCEPTED_TYPES}).`),
          429: problemResponse(
            'Rate limit exceeded, or a quota is used up: `urn:keelson:problem:quota-exceeded` names it (`quota`: documents or stored-bytes), its `limit` and what is `used`.',
          ),
          503: problemResponse(
            'The job queue or file storage is unavailable (nothing was stored; retry after Retry-After), or uploads are not configured.',
          ),
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      // A schema per content type validates only the bodies those types name: anything else (no
      // body, a text/plain one) reaches here unvalidated, and is held to the JSON schema here.
      let created;
      if (request.isMultipart()) {
        created = await uploads(request.ownerId, request.parts(), key);
      } else {
        const body = newDocument.safeParse(request.body);
        if (!body.success) throw invalidBody(body.error);
        created = await documents.create(request.ownerId, body.data, key);
      }
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

  app.get(
    '/v1/documents/:id/file',
    {
      config: { permission: 'documents:read' },
      schema: {
        summary: 'The original file of an uploaded document, streamed from object storage.',
        description:
          'Streamed through the api rather than redirected to a presigned URL: the storage server often ' +
          'has no address clients can reach (a private network), and every read stays behind the ' +
          'same owner check as the rest of the API. Sent as an attachment, with the type recognized at upload.',
        tags: ['documents'],
        params: documentId,
        response: {
          200: {
            description: 'The file, as uploaded.',
            content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } },
          },
          400: validationProblem,
          404: problemResponse('No such document, or it was stored as text and has no file.'),
        },
      },
    },
    async (request, reply) => {
      // Aborted when the client goes away, so the storage download stops with it.
      const controller = new AbortController();
      request.raw.once('close', () => controller.abort());
      const file = await openDocumentFile(
        documents,
        storage,
        request.ownerId,
        request.params.id,
        controller.signal,
      );
      if (file.found === 'no-document') throw notFound('document');
      if (file.found === 'no-file') {
        throw new HttpProblem(
          404,
          'This document was stored as text and has no file; GET /v1/documents/{id} has its status.',
        );
      }
      if (file.found === 'file-gone') {
        request.log.error({ documentId: request.params.id }, 'the stored file of a document is missing');
        throw new HttpProblem(404, 'The file of this document is no longer stored.');
      }
      if (file.object.size !== undefined) reply.header('content-length', file.object.size);
      // Typed by the route's schema as the binary string it documents; Fastify pipes a stream.
      const body = file.object.body as unknown as string;
      return reply
        .type(file.mediaType)
        .header('content-disposition', contentDisposition(file.fileName))
        .header('cache-control', 'private, no-store')
        .send(body);
    },
  );

  app.delete(
    '/v1/documents/:id',
    {
      config: { permission: 'documents:delete' },
      schema: {
        summary: 'Delete a document, its chunks and its stored file; its pending ingestion is cancelled.',
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

/** The 400 a schema-validated body gets, for one validated here instead. */
function invalidBody(error: z.ZodError): HttpProblem {
  return new HttpProblem(400, 'The request body is invalid', {
    type: VALIDATION_PROBLEM,
    extensions: {
      errors: error.issues.map((issue) => ({
        location: 'body',
        pointer: issue.path.length > 0 ? `/${issue.path.join('/')}` : '/',
        message:
          issue.path.length > 0
            ? issue.message
            : 'a JSON document (application/json) or a file (multipart/form-data) is required',
      })),
    },
  });
}
