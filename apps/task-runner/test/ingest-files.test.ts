import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { chunks, documents, tasks } from '@repo/db';
import { documentKinds, type ObjectStorage } from '@repo/storage';
import { buildDocx, buildDocxBomb, buildPdf, createTestBucket, waitFor } from '@repo/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRunner, type TestRunner } from './support/test-runner.ts';

let t: TestRunner;
let storage: ObjectStorage;

beforeAll(async () => {
  const bucket = await createTestBucket('ingest-files');
  t = await createTestRunner({
    env: {
      ...bucket.env,
      CHUNK_SIZE: '200',
      CHUNK_OVERLAP: '0',
      CONVERT_MAX_UNZIPPED_BYTES: String(16 * 1024 ** 2),
    },
  });
  storage = t.connections.storage!;
  await t.startLeading();
});
afterAll(async () => {
  await t?.close();
});

/** Stores the file and its document the way the api does (object first, then rows), and enqueues the job. */
async function submitFile(bytes: Buffer, mediaType: string, fileName: string) {
  const documentId = randomUUID();
  const objectKey = storage.keyFor('owner', documentId);
  await storage.upload(objectKey, Readable.from([bytes]), { contentType: mediaType });
  await t.db.insert(documents).values({
    id: documentId,
    ownerId: 'owner',
    title: fileName,
    content: '',
    contentHash: 'h',
    objectKey,
    fileName,
    mediaType,
    byteSize: bytes.length,
  });
  const [task] = await t.db
    .insert(tasks)
    .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId } })
    .returning();
  await t.producer.enqueue('ingest-document', { taskId: task!.id, documentId }, { jobId: task!.id });
  return { documentId, taskId: task!.id };
}

const settled = (documentId: string) =>
  waitFor(
    async () => {
      const [row] = await t.db.select().from(documents).where(eq(documents.id, documentId));
      return row && ['ready', 'failed'].includes(row.status) ? row : undefined;
    },
    { what: 'document settled', timeoutMs: 30_000 },
  );

const chunksOf = (documentId: string) =>
  t.db.select().from(chunks).where(eq(chunks.documentId, documentId)).orderBy(asc(chunks.ordinal));

describe('ingesting uploaded files', () => {
  it('a PDF: chunks name their page, the text becomes the content', async () => {
    const { documentId, taskId } = await submitFile(
      buildPdf({ pages: [['The tide table for March.'], ['Harbour fees rose in April.']] }),
      documentKinds.pdf.mediaType,
      'harbour.pdf',
    );
    const document = await settled(documentId);
    expect(document).toMatchObject({ status: 'ready', error: null });
    expect(document.content).toBe('The tide table for March.\n\nHarbour fees rose in April.');
    expect((await chunksOf(documentId)).map((c) => [c.content, c.metadata])).toEqual([
      ['The tide table for March.', { page: 1 }],
      ['Harbour fees rose in April.', { page: 2 }],
    ]);
    expect(await t.task(taskId)).toMatchObject({
      status: 'succeeded',
      result: { status: 'ready', chunkCount: 2 },
    });
  });

  it('a DOCX: chunks name their heading path', async () => {
    const { documentId } = await submitFile(
      buildDocx([
        { text: 'Handbook', heading: 1 },
        { text: 'Leave', heading: 2 },
        { text: 'Ask your manager two weeks ahead.' },
      ]),
      documentKinds.docx.mediaType,
      'handbook.docx',
    );
    expect(await settled(documentId)).toMatchObject({ status: 'ready' });
    expect((await chunksOf(documentId)).map((c) => [c.content, c.metadata])).toEqual([
      ['Handbook', { headings: ['Handbook'] }],
      ['Leave\n\nAsk your manager two weeks ahead.', { headings: ['Handbook', 'Leave'] }],
    ]);
  });

  it('bad files fail at once with their reason, on the document and its task, and the others go on', async () => {
    const bad = await Promise.all([
      submitFile(buildPdf({ pages: [['x']], userPassword: 'pw' }), 'application/pdf', 'locked.pdf'),
      submitFile(Buffer.from('%PDF-1.7\nnot really'), 'application/pdf', 'broken.pdf'),
      submitFile(buildPdf({ pages: [[]], imageOnly: true }), 'application/pdf', 'scan.pdf'),
      submitFile(await buildDocxBomb(64 * 1024 * 1024), documentKinds.docx.mediaType, 'bomb.docx'),
      // Stored as text, but an image: the runner decides from the content, not from the row.
      submitFile(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'text/plain', 'note.txt'),
      submitFile(Buffer.alloc(0), 'application/octet-stream', 'empty.txt'),
    ]);
    const good = await submitFile(Buffer.from('# Notes\n\nStill indexed.\n'), 'text/markdown', 'notes.md');

    const errors = await Promise.all(bad.map(async ({ documentId }) => settled(documentId)));
    expect(errors.map((d) => [d.status, d.error])).toEqual([
      ['failed', expect.stringMatching(/^The PDF is encrypted with a password/)],
      ['failed', expect.stringMatching(/^The PDF is damaged and cannot be read/)],
      ['failed', expect.stringMatching(/^The PDF has no text layer/)],
      ['failed', expect.stringMatching(/^The DOCX's text expands to more than 16 MiB when unzipped/)],
      [
        'failed',
        "The file's content is a GIF file (image/gif), which is not an accepted type: PDF, DOCX, Markdown, HTML or plain text (UTF-8).",
      ],
      ['failed', 'The file is empty (0 bytes): there is no text to index.'],
    ]);
    for (const { taskId, documentId } of bad) {
      // One attempt: a bad file is not retried.
      expect(await t.task(taskId)).toMatchObject({ status: 'failed', attempts: 1 });
      expect(await chunksOf(documentId)).toEqual([]);
    }
    expect(await settled(good.documentId)).toMatchObject({ status: 'ready' });
    expect((await chunksOf(good.documentId))[0]).toMatchObject({
      content: '# Notes\n\nStill indexed.',
      metadata: { headings: ['Notes'] },
    });
    expect(t.runner.status()).toMatchObject({ ready: true, phase: 'running' });
  });

  it('a stored object that has gone missing fails the document, saying so', async () => {
    // A row whose object was never stored (or was deleted by hand since).
    const orphan = randomUUID();
    await t.db.insert(documents).values({
      id: orphan,
      ownerId: 'owner',
      title: 'missing',
      content: '',
      contentHash: 'h',
      objectKey: storage.keyFor('owner', orphan),
      mediaType: 'text/plain; charset=utf-8',
      fileName: 'missing.txt',
      byteSize: 5,
    });
    const [task] = await t.db
      .insert(tasks)
      .values({ ownerId: 'owner', type: 'ingest-document', input: { documentId: orphan } })
      .returning();
    await t.producer.enqueue(
      'ingest-document',
      { taskId: task!.id, documentId: orphan },
      { jobId: task!.id },
    );
    expect(await settled(orphan)).toMatchObject({
      status: 'failed',
      error: 'The uploaded file is no longer in storage: upload it again.',
    });
  });
});
