import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import { HttpProblem, serviceUnavailable, VALIDATION_PROBLEM } from '@repo/http';
import type { Logger } from '@repo/observability';
import { documentKinds, isStorageUnavailable, type ObjectStorage } from '@repo/storage';
import type { CreateResult, DocumentsService } from './documents-service.ts';
import { sha256 } from './documents-service.ts';
import { fileTooLarge, UploadInspector } from './upload-inspector.ts';

/** How long a clean-up delete may take before it is left to the maintenance job. */
const DISCARD_TIMEOUT_MS = 5_000;

/**
 * Deletes an object nobody refers to any more, never failing the request over it: if the
 * storage server does not answer, the maintenance job deletes the orphan later.
 */
export async function discardObject(
  storage: ObjectStorage | undefined,
  key: string,
  logger: Logger,
): Promise<void> {
  if (!storage) return;
  try {
    await Promise.race([
      storage.remove(key),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('timed out')), DISCARD_TIMEOUT_MS).unref(),
      ),
    ]);
  } catch (error) {
    logger.warn({ err: error, key }, 'could not delete a stored file; maintenance will sweep it');
  }
}

export const storageUnavailable = () =>
  serviceUnavailable('File storage is unavailable; nothing was stored. Retry later.');

export const uploadsOff = () =>
  new HttpProblem(
    503,
    'File uploads are not configured on this server (S3_BUCKET is not set). Documents can still be sent as JSON text.',
    { type: 'urn:keelson:problem:uploads-not-configured' },
  );

const invalid = (pointer: string, message: string) =>
  new HttpProblem(400, 'The request body is invalid', {
    type: VALIDATION_PROBLEM,
    extensions: { errors: [{ location: 'body', pointer, message }] },
  });

/** A file name as a client sent it, made safe to store and to send back in a header. */
function cleanFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const clean = base
    // eslint-disable-next-line no-control-regex -- control characters are what is removed
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 255);
  return clean === '' ? 'upload' : clean;
}

export interface UploadsOptions {
  documents: DocumentsService;
  storage: ObjectStorage | undefined;
  logger: Logger;
  /** UPLOAD_MAX_BYTES. */
  maxBytes: number;
}

/**
 * `POST /v1/documents` as `multipart/form-data`: one part `file` and an optional `title`
 * (before or after the file). The file streams through an UploadInspector (kind, size, hash)
 * straight into object storage, under the owner-scoped key of the document it will become;
 * nothing holds more of it than one 5 MiB part. Then the document and its task are stored and
 * the job enqueued exactly as for a text document (`DocumentsService.store`).
 */
export function createUploads({ documents, storage, logger, maxBytes }: UploadsOptions) {
  return async function createFromUpload(
    ownerId: string,
    parts: AsyncIterableIterator<Multipart>,
    idempotencyKey?: string,
  ): Promise<CreateResult> {
    if (!storage) throw uploadsOff();
    const documentId = randomUUID();
    const objectKey = storage.keyFor(ownerId, documentId);
    let title: string | undefined;
    let file: { name: string; inspector: UploadInspector } | undefined;
    try {
      for await (const part of parts) {
        if (part.type === 'field') {
          if (part.fieldname !== 'title')
            throw invalid(`/${part.fieldname}`, 'unknown field: send `file` and optionally `title`');
          if (title !== undefined) throw invalid('/title', 'sent twice');
          title = String(part.value);
          continue;
        }
        if (part.fieldname !== 'file')
          throw invalid(`/${part.fieldname}`, 'the file must be sent as the part named `file`');
        if (file) throw invalid('/file', 'send one file per request');
        file = { name: cleanFileName(part.filename), inspector: await upload(part, objectKey) };
      }
    } catch (error) {
      if (file) await discardObject(storage, objectKey, logger);
      throw mapMultipartError(error, maxBytes);
    }
    if (!file) throw invalid('/file', 'required: the file to store, as a multipart part named `file`');

    const trimmed = (title ?? file.name).trim();
    const problem =
      trimmed === ''
        ? 'must not be empty'
        : trimmed.length > 300
          ? 'must be at most 300 characters'
          : trimmed.includes('\0')
            ? 'must not contain the NUL character (\\u0000)'
            : undefined;
    if (problem) {
      await discardObject(storage, objectKey, logger);
      throw invalid('/title', problem);
    }

    const { inspector } = file;
    const contentHash = inspector.digest();
    return documents.store(
      ownerId,
      {
        id: documentId,
        title: trimmed,
        // The text comes from the task-runner's conversion.
        content: '',
        contentHash,
        objectKey,
        fileName: file.name,
        mediaType:
          inspector.kind === 'empty' ? 'application/octet-stream' : documentKinds[inspector.kind!].mediaType,
        byteSize: inspector.received,
      },
      { requestHash: sha256(JSON.stringify([trimmed, file.name, contentHash])), idempotencyKey },
    );
  };

  async function upload(part: MultipartFile, key: string): Promise<UploadInspector> {
    const inspector = new UploadInspector(maxBytes);
    const uploading = storage!.upload(key, inspector, { contentType: 'application/octet-stream' });
    // The inspector decides the kind from the first bytes; the object's content type is the
    // generic one (the document row keeps the recognized kind), so no client-chosen type is stored.
    await Promise.all([pipeline(part.file, inspector), uploading]).catch((error: unknown) => {
      inspector.destroy();
      throw error;
    });
    return inspector;
  }
}

/**
 * The parse errors of busboy (@fastify/multipart's parser): plain Errors, told apart by their
 * text — a body cut short or without its boundary, an empty or over-long boundary parameter.
 */
const BUSBOY_PARSE_ERROR =
  /unexpected end of multipart data|^Multipart: Boundary not found|^Boundary required|^The needle cannot/i;

/** Errors of the multipart stream and of storage, as the client should see them. */
function mapMultipartError(error: unknown, maxBytes: number): unknown {
  if (error instanceof HttpProblem) return error;
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileTooLarge(maxBytes);
  if (code === 'FST_FILES_LIMIT') return invalid('/file', 'send one file per request');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return invalid('/', 'too many parts: send `file` and optionally `title`');
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_PROTO_VIOLATION')
    return new HttpProblem(400, 'The multipart body is malformed.');
  if (isStorageUnavailable(error)) return storageUnavailable();
  if (error instanceof Error && BUSBOY_PARSE_ERROR.test(error.message)) {
    return new HttpProblem(400, `The multipart body is malformed: ${error.message}.`);
  }
  // A client that went away mid-upload (the stream was cut): nobody is left to answer.
  return error;
}

export type CreateFromUpload = ReturnType<typeof createUploads>;

/** The stored file of an uploaded document, opened as a stream for `GET /v1/documents/:id/file`. */
export async function openDocumentFile(
  documents: DocumentsService,
  storage: ObjectStorage | undefined,
  ownerId: string,
  id: string,
  signal: AbortSignal,
) {
  const row = await documents.fileOf(ownerId, id);
  if (!row) return { found: 'no-document' as const };
  if (!row.objectKey) return { found: 'no-file' as const };
  if (!storage) throw uploadsOff();
  try {
    const object = await storage.open(row.objectKey, signal);
    if (!object) return { found: 'file-gone' as const };
    return {
      found: 'file' as const,
      object,
      fileName: row.fileName ?? 'download',
      mediaType: row.mediaType ?? 'application/octet-stream',
    };
  } catch (error) {
    if (isStorageUnavailable(error)) throw storageUnavailable();
    throw error;
  }
}
