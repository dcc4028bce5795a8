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
import {
  objectKey,
  ObjectTooLargeError,
  type ObjectStorage,
  type ObjectStorageOptions,
  type OpenedObject,
  type StoredObject,
} from './object-storage.ts';

/**
 * A part of a multipart upload: the most of one file held in memory at once (5 MiB is S3's
 * minimum part size). Smaller files go up in one PUT.
 */
const PART_BYTES = 5 * 1024 * 1024;

/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1_000;

/**
 * The S3 client behind `createObjectStorage` (object-storage.ts), which imports this module on
 * first use: the AWS SDK is a few hundred modules that a process serving no file never needs.
 */
export function createS3Storage(options: ObjectStorageOptions): ObjectStorage {
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

    keyFor: (ownerId: string, documentId: string) => objectKey(prefix, ownerId, documentId),

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

function isMissing(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
  );
}
