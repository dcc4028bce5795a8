import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { HttpProblem } from '@repo/http';
import { ACCEPTED_TYPES, detectDocumentKind, SNIFF_BYTES, type DocumentKind } from '@repo/storage';

const MiB = 1024 * 1024;

/** 413/415 end the connection: the rest of a refused upload is not worth receiving. */
const CLOSE = { connection: 'close' };

export const fileTooLarge = (limit: number) =>
  new HttpProblem(
    413,
    `The file is larger than ${formatBytes(limit)}, the upload limit (UPLOAD_MAX_BYTES=${limit}).`,
    { type: 'urn:keelson:problem:file-too-large', extensions: { limitBytes: limit }, headers: CLOSE },
  );

export const unsupportedFile = (what: string) =>
  new HttpProblem(
    415,
    `The file's content is ${what}. Accepted: ${ACCEPTED_TYPES}. The type is read from the content, not from the file name or its declared type.`,
    { type: 'urn:keelson:problem:unsupported-file-type', headers: CLOSE },
  );

function formatBytes(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

/**
 * What flows through an upload on its way to object storage, inspected without holding it: the
 * first SNIFF_BYTES decide the kind (a refusal errors the stream before a byte is stored: the
 * S3 client buffers a first part before it sends anything), every byte is counted against the
 * limit and hashed (the hash is the document's content hash and part of its idempotency).
 */
export class UploadInspector extends Transform {
  kind: DocumentKind | 'empty' | undefined;
  /** Bytes so far. (Not `size`: the S3 client would take that for a Blob's length, known up front.) */
  received = 0;
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headBytes = 0;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    super();
    this.maxBytes = maxBytes;
  }

  /** Hex SHA-256 of the whole file, once the stream has ended. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.maxBytes) return callback(fileTooLarge(this.maxBytes));
    this.hash.update(chunk);
    if (this.kind !== undefined) return callback(null, chunk);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) return callback();
    this.decide(false, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.kind !== undefined) return callback();
    // The whole file was shorter than the sample: decide on all of it.
    this.decide(true, callback);
  }

  private decide(complete: boolean, callback: TransformCallback): void {
    const head = Buffer.concat(this.head, this.headBytes);
    this.head = [];
    detectDocumentKind(head, { complete }).then((detection) => {
      if (detection.kind === 'rejected') return callback(unsupportedFile(detection.what));
      this.kind = detection.kind;
      callback(null, head.length > 0 ? head : undefined);
    }, callback);
  }
}
