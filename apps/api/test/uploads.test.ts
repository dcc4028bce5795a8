import { documents, ownerCounters, tasks } from '@repo/db';
import {
  buildDocx,
  buildPdf,
  createTcpProxy,
  createTestBucket,
  waitFor,
  type TcpProxy,
  type TestBucket,
} from '@repo/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

const LIMIT = 12 * 1024 * 1024;

let bucket: TestBucket;
let t: TestApp;
let alice: { authorization: string };
let bob: { authorization: string };

beforeAll(async () => {
  bucket = await createTestBucket('uploads');
  t = await createTestApp({ env: { ...bucket.env, UPLOAD_MAX_BYTES: String(LIMIT) } });
  alice = await t.auth('alice');
  bob = await t.auth('bob');
});
afterAll(async () => {
  await t?.close();
});

interface Part {
  name: string;
  value: string | Uint8Array;
  filename?: string;
  type?: string;
}

/** A multipart/form-data body exactly as fetch encodes one, and its content type. */
async function form(parts: Part[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const data = new FormData();
  for (const part of parts) {
    if (part.filename === undefined) data.append(part.name, String(part.value));
    else
      data.append(
        part.name,
        new Blob([part.value], { type: part.type ?? 'application/octet-stream' }),
        part.filename,
      );
  }
  const request = new Request('http://upload.invalid/', { method: 'POST', body: data });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    headers: { 'content-type': request.headers.get('content-type')! },
  };
}

async function upload(parts: Part[], headers: Record<string, string> = {}, as = alice, app = t) {
  const body = await form(parts);
  return app.app.inject({
    method: 'POST',
    url: '/v1/documents',
    payload: body.payload,
    headers: { ...as, ...body.headers, ...headers },
  });
}

const file = (bytes: Uint8Array, filename: string, type?: string): Part => ({
  name: 'file',
  value: bytes,
  filename,
  ...(type ? { type } : {}),
});

/** Every object key in the test bucket (moto answers unsigned requests). */
async function storedKeys(): Promise<string[]> {
  const xml = await (await fetch(`${bucket.endpoint}/${bucket.bucket}?list-type=2`)).text();
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((match) => match[1]!);
}

const rowsOf = async (id: string) => (await t.db.select().from(documents).where(eq(documents.id, id)))[0];

const pdf = buildPdf({ pages: [['Lighthouse maintenance log.'], ['Lamp replaced in June.']] });

describe('POST /v1/documents with a file', () => {
  it('streams it to object storage under an owner-scoped key, then stores the document, its task and job', async () => {
    const response = await upload([
      file(pdf, 'log.pdf', 'application/pdf'),
      { name: 'title', value: '  Keeper log ' },
    ]);
    expect(response.statusCode).toBe(202);
    const { id } = response.json<{ id: string }>();
    expect(response.headers.location).toBe(`/v1/documents/${id}`);

    const row = await rowsOf(id);
    expect(row).toMatchObject({
      ownerId: 'alice',
      title: 'Keeper log',
      content: '',
      status: 'queued',
      fileName: 'log.pdf',
      mediaType: 'application/pdf',
      byteSize: pdf.length,
    });
    expect(row!.objectKey).toMatch(new RegExp(`^documents/[0-9a-f]{32}/${id}$`));
    expect(row!.objectKey).toBe(t.storage!.keyFor('alice', id));
    expect((await t.storage!.read(row!.objectKey!, LIMIT))?.equals(pdf)).toBe(true);

    const [task] = await t.db
      .select()
      .from(tasks)
      .where(eq(tasks.input, { documentId: id }));
    expect(await (await t.producer.queue('ingest-document')).getJob(task!.id)).toMatchObject({
      data: { taskId: task!.id, documentId: id },
    });

    const view = await t.app.inject({ url: `/v1/documents/${id}`, headers: alice });
    expect(view.json()).toMatchObject({
      title: 'Keeper log',
      file: { name: 'log.pdf', mediaType: 'application/pdf', size: pdf.length },
    });
  });

  it('sends the original back, as an attachment, only to its owner', async () => {
    const docx = buildDocx([{ text: 'Rota', heading: 1 }, { text: 'Night shift.' }]);
    // (Browsers and fetch send a quote in a file name as %22, so none here.)
    const { id } = (await upload([file(docx, 'Rota für März v2.docx')])).json<{ id: string }>();
    const response = await t.app.inject({ url: `/v1/documents/${id}/file`, headers: alice });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(docx)).toBe(true);
    expect(response.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(response.headers['content-length']).toBe(String(docx.length));
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="Rota f_r M_rz v2.docx"; filename*=UTF-8''${encodeURIComponent('Rota für März v2.docx')}`,
    );
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(response.headers['x-content-type-options']).toBe('nosniff');

    expect((await t.app.inject({ url: `/v1/documents/${id}/file`, headers: bob })).statusCode).toBe(404);
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: alice,
      payload: { title: 'Plain', content: 'Only text.' },
    });
    const plain = await t.app.inject({
      url: `/v1/documents/${text.json<{ id: string }>().id}/file`,
      headers: alice,
    });
    expect(plain.statusCode).toBe(404);
    expect(plain.json<{ detail: string }>().detail).toMatch(/stored as text and has no file/);
  });

  it('decides the type from the content, never from the name or the declared type', async () => {
    const disguised = await upload([file(pdf, 'notes.txt', 'text/plain')]);
    expect(disguised.statusCode).toBe(202);
    expect(await rowsOf(disguised.json<{ id: string }>().id)).toMatchObject({
      mediaType: 'application/pdf',
      title: 'notes.txt',
    });
    const kinds = [
      ['guide.md', '# Guide\n\nText.', 'text/markdown; charset=utf-8'],
      ['page.html', '<!doctype html><html><body><p>Hi</p></body></html>', 'text/html; charset=utf-8'],
      ['notes', 'Just words.', 'text/plain; charset=utf-8'],
    ] as const;
    for (const [name, content, mediaType] of kinds) {
      const response = await upload([file(new TextEncoder().encode(content), name, 'application/pdf')]);
      expect(await rowsOf(response.json<{ id: string }>().id), name).toMatchObject({ mediaType });
    }
  });

  it('415 names the accepted types for anything else, and stores nothing', async () => {
    const before = { rows: await t.db.$count(documents), keys: (await storedKeys()).length };
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const response = await upload([file(png, 'report.pdf', 'application/pdf')]);
    expect(response.statusCode).toBe(415);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: 'urn:keelson:problem:unsupported-file-type',
      detail:
        "The file's content is a PNG file (image/png). Accepted: PDF, DOCX, Markdown, HTML or plain text (UTF-8). The type is read from the content, not from the file name or its declared type.",
    });
    expect({ rows: await t.db.$count(documents), keys: (await storedKeys()).length }).toEqual(before);
  });

  it('413 names the limit as soon as the file passes it, and stores nothing', async () => {
    const before = { rows: await t.db.$count(documents), keys: (await storedKeys()).length };
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(LIMIT, 0x20)]);
    const response = await upload([file(big, 'huge.pdf')]);
    expect(response.statusCode).toBe(413);
    expect(response.headers.connection).toBe('close');
    expect(response.json()).toMatchObject({
      type: 'urn:keelson:problem:file-too-large',
      detail: `The file is larger than 12 MiB, the upload limit (UPLOAD_MAX_BYTES=${LIMIT}).`,
      limitBytes: LIMIT,
    });
    expect({ rows: await t.db.$count(documents), keys: (await storedKeys()).length }).toEqual(before);
    // Nothing left half-uploaded either.
    expect(await t.storage!.abortStaleUploads(new Date(Date.now() + 60_000))).toBe(0);
  });

  it('streams a file larger than one part as a multipart upload (never held whole)', async () => {
    const large = Buffer.concat([pdf, Buffer.alloc(LIMIT - pdf.length - 1, 0x20)]);
    const response = await upload([file(large, 'large.pdf')]);
    expect(response.statusCode).toBe(202);
    const key = (await rowsOf(response.json<{ id: string }>().id))!.objectKey!;
    const head = await fetch(`${bucket.endpoint}/${bucket.bucket}/${key}`, { method: 'HEAD' });
    // S3 gives a multipart object an ETag ending in -<parts>: three parts of 5 MiB at most.
    expect(head.headers.get('etag')).toMatch(/-3"$/);
    expect(Number(head.headers.get('content-length'))).toBe(large.length);
  });

  it('accepts an empty file (the task-runner fails it, saying why)', async () => {
    const response = await upload([file(new Uint8Array(), 'empty.txt')]);
    expect(response.statusCode).toBe(202);
    expect(await rowsOf(response.json<{ id: string }>().id)).toMatchObject({
      mediaType: 'application/octet-stream',
      byteSize: 0,
    });
  });

  it('400 for a malformed form, naming the part; an uploaded object is removed again', async () => {
    const before = (await storedKeys()).length;
    const cases: [Part[], string][] = [
      [[{ name: 'title', value: 'No file' }], '/file'],
      [[file(pdf, 'a.pdf'), file(pdf, 'b.pdf')], '/file'],
      [[{ name: 'document', value: pdf, filename: 'a.pdf' }], '/document'],
      [[file(pdf, 'a.pdf'), { name: 'colour', value: 'red' }], '/colour'],
      [[file(pdf, 'a.pdf'), { name: 'title', value: 'x'.repeat(301) }], '/title'],
      [[file(pdf, 'a.pdf'), { name: 'title', value: '   ' }], '/title'],
    ];
    for (const [parts, pointer] of cases) {
      const response = await upload(parts);
      expect(response.statusCode, pointer).toBe(400);
      expect(response.json<{ errors: { pointer: string }[] }>().errors[0]!.pointer, pointer).toBe(pointer);
    }
    expect((await storedKeys()).length).toBe(before);
  });

  it('is idempotent like a JSON document: a replay stores nothing twice, another file with the key is a 409', async () => {
    const first = await upload([file(pdf, 'log.pdf')], { 'idempotency-key': 'upload-1' });
    const keysAfterFirst = (await storedKeys()).length;
    const replay = await upload([file(pdf, 'log.pdf')], { 'idempotency-key': 'upload-1' });
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const other = await upload([file(buildPdf({ pages: [['Another file']] }), 'log.pdf')], {
      'idempotency-key': 'upload-1',
    });
    expect(other.statusCode).toBe(409);
    // The replay's and the conflict's copies were deleted: one object for one document.
    expect((await storedKeys()).length).toBe(keysAfterFirst);
    // Keys are per owner.
    expect((await upload([file(pdf, 'log.pdf')], { 'idempotency-key': 'upload-1' }, bob)).statusCode).toBe(
      202,
    );
  });

  it("counts the file's size against the stored-bytes quota, and gives it back on delete", async () => {
    const owner = await t.auth('uma');
    const counted = async () =>
      (await t.db.select().from(ownerCounters).where(eq(ownerCounters.ownerId, 'uma')))[0];
    const { id } = (await upload([file(pdf, 'sized.pdf')], {}, owner)).json<{ id: string }>();
    // The file's bytes, not its (later converted, shorter) text.
    expect(await counted()).toMatchObject({ documents: 1, storedBytes: pdf.byteLength });
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/documents/${id}`, headers: owner })).statusCode,
    ).toBe(204);
    expect(await counted()).toMatchObject({ documents: 0, storedBytes: 0 });
  });

  it('deleting the document deletes its file', async () => {
    const { id } = (await upload([file(pdf, 'gone.pdf')])).json<{ id: string }>();
    const key = (await rowsOf(id))!.objectKey!;
    expect(await storedKeys()).toContain(key);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/documents/${id}`, headers: alice })).statusCode,
    ).toBe(204);
    expect(await storedKeys()).not.toContain(key);
    expect((await t.app.inject({ url: `/v1/documents/${id}/file`, headers: alice })).statusCode).toBe(404);
  });

  it('400 for a body that is neither JSON nor a form: none, or text/plain (found by the fuzz test)', async () => {
    for (const extra of [{}, { headers: { 'content-type': 'text/plain' }, payload: 'a text' }]) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/documents',
        ...extra,
        headers: { ...alice, ...('headers' in extra ? extra.headers : {}) },
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        type: 'urn:keelson:problem:validation',
        errors: [{ location: 'body', message: expect.stringMatching(/multipart\/form-data/) }],
      });
    }
  });

  it('400 for a multipart body busboy cannot parse: cut short, or not multipart at all (found by the fuzz test)', async () => {
    for (const [contentType, payload] of [
      ['multipart/form-data; boundary=x', '{"title":"not a form"}'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\ncontent-disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhal',
      ],
      ['multipart/form-data; boundary=', '--\r\n'],
    ] as const) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload,
        headers: { ...alice, 'content-type': contentType },
      });
      expect(response.statusCode, `${contentType} ${payload}`).toBe(400);
      expect(response.json().detail).toMatch(/^The multipart body is malformed/);
    }
  });

  it('only this route takes multipart bodies', async () => {
    const body = await form([{ name: 'query', value: 'x' }]);
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/search',
      payload: body.payload,
      headers: { ...alice, ...body.headers },
    });
    expect(response.statusCode).toBe(415);
  });
});

describe('uploads when a dependency is down', () => {
  let redis: TcpProxy;
  let s3: TcpProxy;
  let down: TestApp;

  beforeAll(async () => {
    redis = await createTcpProxy(inject('redisUrl'));
    s3 = await createTcpProxy(bucket.endpoint);
    down = await createTestApp({
      redisUrl: redis.url(inject('redisUrl')),
      env: { ...bucket.env, S3_ENDPOINT: s3.url(bucket.endpoint) },
    });
  });
  afterAll(async () => {
    await down?.close();
    await redis?.close();
    await s3?.close();
  });

  it('Redis down: 503, and neither rows nor the stored file are left behind', async () => {
    await redis.cut();
    try {
      const before = { rows: await down.db.$count(documents), keys: (await storedKeys()).length };
      for (const extra of [{}, { 'idempotency-key': 'outage' }] as Record<string, string>[]) {
        const response = await upload([file(pdf, 'log.pdf')], extra, alice, down);
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBeDefined();
      }
      expect({ rows: await down.db.$count(documents), keys: (await storedKeys()).length }).toEqual(before);
    } finally {
      await redis.restore();
      await waitFor(() => down.redis.status === 'ready', { what: 'redis back' });
    }
  });

  it('storage down: 503 with Retry-After, nothing stored; reading a file too', async () => {
    const first = await upload([file(pdf, 'log.pdf')], {}, alice, down);
    expect(first.statusCode).toBe(202);
    const stored = first.json<{ id: string }>().id;
    await s3.cut();
    try {
      const before = await down.db.$count(documents);
      const response = await upload([file(pdf, 'log.pdf')], {}, alice, down);
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.json<{ detail: string }>().detail).toBe(
        'File storage is unavailable; nothing was stored. Retry later.',
      );
      expect(await down.db.$count(documents)).toBe(before);
      expect(
        (await down.app.inject({ url: `/v1/documents/${stored}/file`, headers: alice })).statusCode,
      ).toBe(503);
      // Text documents do not need storage.
      const text = await down.app.inject({
        method: 'POST',
        url: '/v1/documents',
        headers: alice,
        payload: { title: 't', content: 'c' },
      });
      expect(text.statusCode).toBe(202);
    } finally {
      await s3.restore();
    }
  });

  it('without S3_BUCKET uploads answer 503 naming it; text documents still work', async () => {
    const off = await createTestApp();
    try {
      const response = await upload([file(pdf, 'log.pdf')], {}, await off.auth('alice'), off);
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        type: 'urn:keelson:problem:uploads-not-configured',
        detail: expect.stringContaining('S3_BUCKET is not set'),
      });
    } finally {
      await off.close();
    }
  });
});
