import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ObjectStorageConfig } from '@repo/config';
import type * as S3Storage from './s3-storage.ts';

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

/** The S3 API, on any S3-compatible server, reduced to what uploaded documents need. */
export interface ObjectStorage {
  readonly bucket: string;
  readonly prefix: string;
  /** The object key of a document's file: owner-scoped, one object per document. */
  keyFor(ownerId: string, documentId: string): string;
  /**
   * Streams `body` into the object: one PUT for a small file, a multipart upload of 5 MiB parts
   * otherwise (never more than one part in memory). On failure or abort the multipart upload is
   * aborted, so no parts are left behind; the caller's stream error is rethrown.
   */
  upload(key: string, body: Readable, options: { contentType: string; signal?: AbortSignal }): Promise<void>;
  /** The object as a stream, or undefined when there is no such object. */
  open(key: string, signal?: AbortSignal): Promise<OpenedObject | undefined>;
  /**
   * The whole object in memory (for conversion), refusing one larger than `maxBytes`
   * (ObjectTooLargeError) before reading it; undefined when there is no such object.
   */
  read(key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined>;
  /** Deletes the object; deleting a missing one succeeds (S3 semantics). */
  remove(key: string): Promise<void>;
  /** Deletes many objects, a thousand per request; throws when the server refused any. */
  removeMany(keys: readonly string[]): Promise<void>;
  /** Every object under the key prefix, a page (up to 1,000) at a time. */
  list(signal?: AbortSignal): AsyncGenerator<StoredObject[]>;
  /**
   * Aborts multipart uploads under the prefix started before `startedBefore`: the parts of an
   * upload whose api process died mid-file, which S3 keeps (and bills) until aborted.
   */
  abortStaleUploads(startedBefore: Date): Promise<number>;
  /** Whether the bucket exists and these credentials may use it (throws otherwise). */
  checkBucket(): Promise<void>;
  /** Ends the client's connections; a call after this fails. */
  close(): void;
}

/**
 * Object storage on the S3 API. One client per process (it pools its connections); `close()` ends
 * them.
 *
 * The client — the AWS SDK, a few hundred modules (tests/bench/README.md, "Start-up, stop 27") —
 * is imported by the first call or `importS3Client()`, whichever comes first (the api calls it
 * once it listens): a process starts listening without it, and one that serves no file never
 * loads it.
 *
 * Keys are `<S3_KEY_PREFIX><owner>/<document id>`, `<owner>` being a SHA-256 of the owner id:
 * owner ids are whatever an identity provider puts in `sub` (any length, slashes, Unicode), and a
 * fixed-width hex name is a valid key segment for every server while still grouping an owner's
 * files under one prefix (to export or erase them).
 */
export function createObjectStorage(options: ObjectStorageOptions): ObjectStorage {
  let client: Promise<ObjectStorage> | undefined;
  let closed = false;
  const s3 = () => {
    if (closed) return Promise.reject(new Error('object storage is closed'));
    return (client ??= importS3Client().then(({ createS3Storage }) => createS3Storage(options)));
  };
  return {
    bucket: options.bucket,
    prefix: options.keyPrefix,
    keyFor: (ownerId, documentId) => objectKey(options.keyPrefix, ownerId, documentId),
    upload: async (key, body, uploadOptions) => (await s3()).upload(key, body, uploadOptions),
    open: async (key, signal) => (await s3()).open(key, signal),
    read: async (key, maxBytes, signal) => (await s3()).read(key, maxBytes, signal),
    remove: async (key) => (await s3()).remove(key),
    removeMany: async (keys) => (await s3()).removeMany(keys),
    async *list(signal) {
      yield* (await s3()).list(signal);
    },
    abortStaleUploads: async (startedBefore) => (await s3()).abortStaleUploads(startedBefore),
    checkBucket: async () => (await s3()).checkBucket(),
    close() {
      closed = true;
      // A client still being imported is closed as soon as it exists; one whose import failed
      // (logged where it was awaited) has nothing to close.
      void client?.then(
        (loaded) => loaded.close(),
        () => {},
      );
    },
  };
}

/** The S3 client's module (the AWS SDK under it), imported once per process, by whoever needs it first. */
let s3Client: Promise<typeof S3Storage> | undefined;
export const importS3Client = () => (s3Client ??= import('./s3-storage.ts'));

/** `<prefix><first 32 hex digits of SHA-256(owner id)>/<document id>`. */
export function objectKey(prefix: string, ownerId: string, documentId: string): string {
  const owner = createHash('sha256').update(ownerId).digest('hex').slice(0, 32);
  return `${prefix}${owner}/${documentId}`;
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
    if (typeof current !== 'object') return false;
    const status = serviceErrorStatus(current);
    if (status !== undefined) {
      return status >= 500 || status === 429 || (current as { name?: unknown }).name === 'SlowDown';
    }
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

/**
 * The HTTP status of an error the S3 server answered with (0 when the SDK did not say), undefined
 * for any other error. Recognized by its shape — a `$fault` and the response's `$metadata`, as
 * the SDK's own `ServiceException.isInstance` does — so this module need not load the SDK. Any
 * AWS service error has that shape, so a 5xx from the credential chain (STS, SSO) is an outage
 * too, as it should be: a retry later can succeed.
 */
function serviceErrorStatus(error: object): number | undefined {
  const { $fault, $metadata } = error as { $fault?: unknown; $metadata?: unknown };
  if (($fault !== 'client' && $fault !== 'server') || typeof $metadata !== 'object' || $metadata === null)
    return undefined;
  const status = ($metadata as { httpStatusCode?: unknown }).httpStatusCode;
  return typeof status === 'number' ? status : 0;
}
