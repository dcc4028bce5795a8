import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createTcpProxy, createTestBucket, waitFor, type TestBucket } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createObjectStorage,
  isStorageUnavailable,
  ObjectTooLargeError,
  type ObjectStorage,
  type ObjectStorageOptions,
} from '../src/index.ts';

let bucket: TestBucket;
let storage: ObjectStorage;

/** A client of the test bucket, under `documents/`, with what a case changes. */
const storageWith = (options: Partial<ObjectStorageOptions> = {}) =>
  createObjectStorage({
    bucket: bucket.bucket,
    endpoint: bucket.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    keyPrefix: 'documents/',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...options,
  });

beforeAll(async () => {
  bucket = await createTestBucket('storage');
  storage = storageWith();
});
afterAll(() => storage?.close());

async function* chunks(data: Buffer, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('object storage', () => {
  it('keys are owner-scoped: one prefix per owner, whatever the owner id contains', () => {
    const a = storage.keyFor('alice', '3f2a8b1e-0000-4000-8000-000000000001');
    const b = storage.keyFor('bob/../../etc', '3f2a8b1e-0000-4000-8000-000000000001');
    expect(a).toMatch(/^documents\/[0-9a-f]{32}\/3f2a8b1e-0000-4000-8000-000000000001$/);
    expect(b).toMatch(/^documents\/[0-9a-f]{32}\/3f2a8b1e/);
    expect(a.split('/')[1]).not.toBe(b.split('/')[1]);
    expect(storage.keyFor('alice', 'x').split('/')[1]).toBe(a.split('/')[1]);
  });

  it('streams a small file in one PUT and a large one in 5 MiB parts, and reads both back', async () => {
    for (const size of [1_000, 12 * 1024 * 1024 + 17]) {
      const data = randomBytes(size);
      const key = storage.keyFor('alice', `file-${size}`);
      await storage.upload(key, Readable.from(chunks(data, 64 * 1024)), { contentType: 'application/pdf' });
      const read = await storage.read(key, size);
      expect(read?.equals(data)).toBe(true);
      const opened = await storage.open(key);
      expect(opened?.size).toBe(size);
      opened?.body.destroy();
    }
  });

  it('a body that fails ends the upload with its error and leaves no object or parts behind', async () => {
    const key = storage.keyFor('alice', 'broken');
    async function* failing() {
      yield randomBytes(6 * 1024 * 1024); // more than one part: a multipart upload has begun
      throw new Error('client went away');
    }
    await expect(
      storage.upload(key, Readable.from(failing()), { contentType: 'text/plain' }),
    ).rejects.toThrow('client went away');
    expect(await storage.open(key)).toBeUndefined();
    // lib-storage aborts the multipart upload once the body failed, possibly just after upload()
    // rejected: wait for it, looking without aborting anything ourselves.
    const s3 = new S3Client({
      endpoint: bucket.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await waitFor(
        async () =>
          ((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket.bucket }))).Uploads ?? [])
            .length === 0,
        { timeoutMs: 10_000, intervalMs: 100, what: 'the failed upload to be aborted' },
      );
    } finally {
      s3.destroy();
    }
    expect(await storage.abortStaleUploads(new Date(Date.now() + 60_000))).toBe(0);
  });

  it('refuses to read more than asked', async () => {
    const key = storage.keyFor('alice', 'big');
    await storage.upload(key, Readable.from([randomBytes(2_000)]), { contentType: 'text/plain' });
    await expect(storage.read(key, 1_999)).rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(await storage.read(storage.keyFor('alice', 'missing'), 10)).toBeUndefined();
  });

  it('lists under its prefix only, and deletes one or many', async () => {
    const other = storageWith({ keyPrefix: 'elsewhere/' });
    try {
      await other.upload('elsewhere/not-ours', Readable.from(['x']), { contentType: 'text/plain' });
      const keys = Array.from({ length: 3 }, (_, i) => storage.keyFor('carol', `doc-${i}`));
      for (const key of keys) await storage.upload(key, Readable.from(['x']), { contentType: 'text/plain' });
      const listed = async () => {
        const all: string[] = [];
        for await (const page of storage.list()) all.push(...page.map((object) => object.key));
        return all;
      };
      expect(await listed()).toEqual(expect.arrayContaining(keys));
      expect(await listed()).not.toContain('elsewhere/not-ours');

      await storage.remove(keys[0]!);
      await storage.removeMany(keys.slice(1));
      await storage.remove(keys[0]!); // a missing object: still fine
      expect(await listed()).not.toEqual(expect.arrayContaining([keys[0]]));
      for (const key of keys) expect(await storage.open(key)).toBeUndefined();
    } finally {
      other.close();
    }
  });

  it('aborts multipart uploads left behind by a process that died mid-file, under its prefix only', async () => {
    // What a killed api leaves: an initiated multipart upload nobody completes or aborts (made
    // with an unsigned request, which moto accepts). moto reports every upload as initiated on
    // 2010-11-10, so "older than" cannot be told apart here; the call's date is its own.
    const leftover = storage.keyFor('dave', 'interrupted');
    for (const key of [leftover, 'elsewhere/someone-elses-upload']) {
      const response = await fetch(`${bucket.endpoint}/${bucket.bucket}/${key}?uploads`, { method: 'POST' });
      expect(response.ok).toBe(true);
    }
    expect(await storage.abortStaleUploads(new Date())).toBe(1);
    expect(await storage.abortStaleUploads(new Date())).toBe(0);
    const remaining = await (await fetch(`${bucket.endpoint}/${bucket.bucket}?uploads`)).text();
    expect(remaining).toContain('elsewhere/someone-elses-upload');
    expect(remaining).not.toContain(leftover);
  });

  it('reports an unreachable server as unavailable, and a missing bucket as not', async () => {
    const proxy = await createTcpProxy(bucket.endpoint);
    const unreachable = storageWith({ endpoint: `http://127.0.0.1:${proxy.port}`, connectTimeoutMs: 500 });
    try {
      await unreachable.checkBucket();
      await proxy.cut();
      const error = await unreachable.open('documents/x').catch((caught: unknown) => caught);
      expect(isStorageUnavailable(error)).toBe(true);
    } finally {
      unreachable.close();
      await proxy.close();
    }
    const noBucket = storageWith({ bucket: 'no-such-bucket-here' });
    try {
      const error = await noBucket.checkBucket().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(isStorageUnavailable(error)).toBe(false);
    } finally {
      noBucket.close();
    }
  });

  it("tells outages from refusals on the SDK's own errors, without loading the SDK itself", () => {
    const answered = (status: number, name = 'Error') =>
      new S3ServiceException({
        name,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status },
      });
    expect(isStorageUnavailable(answered(503))).toBe(true);
    expect(isStorageUnavailable(answered(500))).toBe(true);
    expect(isStorageUnavailable(answered(429))).toBe(true);
    expect(isStorageUnavailable(answered(400, 'SlowDown'))).toBe(true);
    expect(isStorageUnavailable(answered(403, 'AccessDenied'))).toBe(false);
    expect(isStorageUnavailable(answered(404, 'NoSuchBucket'))).toBe(false);
    // Wrapped (a stream error carrying the request's as its cause).
    expect(isStorageUnavailable(new Error('upload failed', { cause: answered(502) }))).toBe(true);
    // Recognized by shape, as the SDK's isInstance does: a plain object with the same fields is
    // one too (and an error of another copy of the SDK would be).
    const shaped = (status: number) => ({
      name: 'Error',
      $fault: 'server',
      $metadata: { httpStatusCode: status },
    });
    expect(isStorageUnavailable(shaped(503))).toBe(true);
    expect(isStorageUnavailable({ ...shaped(403), $fault: 'client' })).toBe(false);
    // Something else with a $metadata is not taken for an S3 answer.
    expect(isStorageUnavailable({ $metadata: { httpStatusCode: 503 } })).toBe(false);
  });

  it('a closed storage refuses calls, even one closed before its client was ever loaded', async () => {
    const closed = storageWith();
    closed.close();
    await expect(closed.checkBucket()).rejects.toThrow('object storage is closed');
    await expect(closed.open('documents/x')).rejects.toThrow('object storage is closed');
  });
});
