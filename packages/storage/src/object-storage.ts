import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  NoSuchKey,
  NoSuchUpload,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectStorageConfig } from '@repo/config';

export interface StoredObject {
  key: string;
  lastModified: Date;
}

export interface OpenedObject {
  body: Readable;
  /** Bytes, when the server said (it always does for a plain GET). */
  size: number | undefined;
}

/** The object is larger than the caller allowed to read into memory. */
export class ObjectTooLargeError extends Error {
  readonly key: string;
  readonly limit: number;

  constructor(key: string, limit: number) {
    super(`object ${key} is larger than ${limit} bytes`);
    this.name = 'ObjectTooLargeError';
    this.key = key;
    this.limit = limit;
  }
}

export interface ObjectStorageOptions extends ObjectStorageConfig {
  /** Bound of a TCP connect to the server (default 3 s): a dead endpoint fails fast, as a 503. */
  connectTimeoutMs?: number;
  /** A socket idle this long fails the request (default 30 s). */
  requestTimeoutMs?: number;
}

/**
 * A part of a multipart upload: the most of one file held in memory at once (5 MiB is S3's
 * minimum part size). Smaller files go up in one PUT.
 */
const PART_BYTES = 5 * 1024 * 1024;

/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1_000;

/**
 * The S3 API, on any S3-compatible server, reduced to what uploaded documents need. One client
 * per process (it pools its connections); `close()` ends them.
 *
 * Keys are `<S3_KEY_PREFIX><owner>/<document id>`, `<owner>` being a SHA-256 of the owner id:
 * owner ids are whatever an identity provider puts in `sub` (any length, slashes, Unicode), and a
 * fixed-width hex name is a valid key segment for every server while still grouping an owner's
 * files under one prefix (to export or erase them).
 */
export function createObjectStorage(options: ObjectStorageOptions) {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    // Undefined: the SDK's default chain (environment, ECS task role, instance profile, SSO, …).
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
    },
    maxAttempts: 3,
    // The SDK's default since 2025 adds CRC32 checksums to every upload, which several
    // S3-compatible servers reject or mishandle; checksums only where the API requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = options.bucket;
  const prefix = options.keyPrefix;

  return {
    bucket,
    prefix,

    /** The object key of a document's file: owner-scoped, one object per document. */
    keyFor(ownerId: string, documentId: string): string {
      const owner = createHash('sha256').update(ownerId).digest('hex').slice(0, 32);
      return `${prefix}${owner}/${documentId}`;
    },

    /**
     * Streams `body` into the object: one PUT for a small file, a multipart upload of 5 MiB
     * parts otherwise (never more than one part in memory). On failure or abort the multipart
     * upload is aborted, so no parts are left behind; the caller's stream error is rethrown.
     */
    async upload(
      key: string,
      body: Readable,
      { contentType, signal }: { contentType: string; signal?: AbortSignal },
    ): Promise<void> {
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
        partSize: PART_BYTES,
        queueSize: 1,
        leavePartsOnError: false,
      });
      // A body that fails (the client went away, the size limit) must end the upload at once:
      // lib-storage would otherwise wait for data that never comes.
      let bodyError: Error | undefined;
      const onBodyError = (error: Error) => {
        bodyError ??= error;
        void upload.abort();
      };
      body.once('error', onBodyError);
      const onAbort = () => void upload.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await upload.done();
      } catch (error) {
        throw bodyError ?? error;
      } finally {
        body.off('error', onBodyError);
        signal?.removeEventListener('abort', onAbort);
      }
      if (bodyError) throw bodyError;
    },

    /** The object as a stream, or undefined when there is no such object. */
    async open(key: string, signal?: AbortSignal): Promise<OpenedObject | undefined> {
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key }),
          signal ? { abortSignal: signal } : {},
        );
        return { body: response.Body as Readable, size: response.ContentLength };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    /**
     * The whole object in memory (for conversion), refusing one larger than `maxBytes` before
     * reading it; undefined when there is no such object.
     */
    async read(key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined> {
      const object = await this.open(key, signal);
      if (!object) return undefined;
      if (object.size !== undefined && object.size > maxBytes) {
        object.body.destroy();
        throw new ObjectTooLargeError(key, maxBytes);
      }
      const parts: Buffer[] = [];
      let length = 0;
      for await (const part of object.body as AsyncIterable<Buffer>) {
        length += part.length;
        if (length > maxBytes) {
          object.body.destroy();
          throw new ObjectTooLargeError(key, maxBytes);
        }
        parts.push(part);
      }
      return Buffer.concat(parts, length);
    },

    /** Deletes the object; deleting a missing one succeeds (S3 semantics). */
    async remove(key: string): Promise<void> {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },

    /** Deletes many objects, a thousand per request; throws when the server refused any. */
    async removeMany(keys: readonly string[]): Promise<void> {
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        const batch = keys.slice(start, start + DELETE_BATCH);
        const result = await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = result.Errors ?? [];
        if (failed.length > 0) {
          throw new Error(
            `object storage refused to delete ${failed.length} object(s), e.g. ${failed[0]!.Key}: ${failed[0]!.Message ?? failed[0]!.Code}`,
          );
        }
      }
    },

    /** Every object under the key prefix, a page (up to 1,000) at a time. */
    async *list(signal?: AbortSignal): AsyncGenerator<StoredObject[]> {
      const pages = paginateListObjectsV2(
        { client, pageSize: DELETE_BATCH },
        { Bucket: bucket, Prefix: prefix },
      );
      for await (const page of pages) {
        signal?.throwIfAborted();
        yield (page.Contents ?? []).flatMap((object) =>
          object.Key && object.LastModified ? [{ key: object.Key, lastModified: object.LastModified }] : [],
        );
      }
    },

    /**
     * Aborts multipart uploads under the prefix started before `startedBefore`: the parts of an
     * upload whose api process died mid-file, which S3 keeps (and bills) until aborted.
     */
    async abortStaleUploads(startedBefore: Date): Promise<number> {
      let aborted = 0;
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= startedBefore)
            continue;
          try {
            await client.send(
              new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
            );
            aborted++;
          } catch (error) {
            // Completed or aborted (by the upload itself, or another sweep) since it was listed:
            // what this sweep wanted. Anything else is an error.
            if (!(error instanceof NoSuchUpload || isMissing(error))) throw error;
          }
        }
        if (!page.IsTruncated) return aborted;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    },

    /** Whether the bucket exists and these credentials may use it (throws otherwise). */
    async checkBucket(): Promise<void> {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    },

    close(): void {
      client.destroy();
    },
  };
}

export type ObjectStorage = ReturnType<typeof createObjectStorage>;

function isMissing(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
  );
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

/**
 * Whether `error` means the storage server could not be used right now (unreachable, timing out,
 * throttling, a 5xx), rather than a bug or a refusal of this request: such an error is a 503 to
 * retry. Bad credentials or a missing bucket are configuration errors, not outages.
 */
export function isStorageUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof S3ServiceException) {
      const status = current.$metadata.httpStatusCode ?? 0;
      return status >= 500 || status === 429 || current.name === 'SlowDown';
    }
    if (typeof current !== 'object') return false;
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (
      (typeof code === 'string' && NETWORK_CODES.has(code)) ||
      (typeof name === 'string' && NETWORK_CODES.has(name))
    )
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
