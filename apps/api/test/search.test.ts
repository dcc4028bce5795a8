import { chunks, documents, EMBEDDING_DIMENSIONS, type ChunkMetadata } from '@repo/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/test-app.ts';

/** A unit vector along `axis` (and a little along `tilt`): cosine similarities are easy to reason about. */
function unit(axis: number, tilt = 0): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  vector[axis] = 1;
  if (tilt) vector[axis + 1] = tilt;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

interface Hit {
  chunkId: string;
  documentId: string;
  documentTitle: string;
  content: string;
  score: number;
  textScore: number | null;
  vectorScore: number | null;
}

/** A document with the given chunks, as the task-runner would leave it. */
async function seed(
  t: TestApp,
  ownerId: string,
  title: string,
  pieces: { content: string; embedding?: number[]; metadata?: ChunkMetadata }[],
) {
  const [document] = await t.db
    .insert(documents)
    .values({
      ownerId,
      title,
      content: pieces.map((p) => p.content).join('\n\n'),
      contentHash: 'x',
      status: 'ready',
    })
    .returning({ id: documents.id });
  await t.db.insert(chunks).values(
    pieces.map((piece, ordinal) => ({
      documentId: document!.id,
      ordinal,
      content: piece.content,
      ...(piece.embedding ? { embedding: piece.embedding } : {}),
      ...(piece.metadata ? { metadata: piece.metadata } : {}),
    })),
  );
  return document!.id;
}

async function search(t: TestApp, body: unknown, owner = 'alice') {
  return t.app.inject({
    method: 'POST',
    url: '/v1/search',
    headers: await t.auth(owner),
    payload: body as object,
  });
}

describe('POST /v1/search (full text; no embedding model)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await seed(t, 'alice', 'Boats', [
      { content: 'The keelson is a beam fastened to the keel of a ship. A keelson strengthens the hull.' },
      { content: 'Sails and masts move a ship; the rudder steers it.' },
      { content: 'Keelson, keelson, keelson: the keelson again.' },
    ]);
    // Embeddings in the table do not matter while the query has none.
    await seed(t, 'alice', 'Gardens', [{ content: 'Roses need sun and water.', embedding: unit(0) }]);
    await seed(t, 'bob', 'Bob boats', [{ content: 'Bob writes about the keelson too.' }]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("ranks the owner's matching chunks by ts_rank, best first, with scores in [0, 1)", async () => {
    const response = await search(t, { query: 'keelson' });
    expect(response.statusCode).toBe(200);
    const { hits } = response.json<{ hits: Hit[] }>();
    expect(hits.map((hit) => hit.content)).toEqual([
      'Keelson, keelson, keelson: the keelson again.',
      'The keelson is a beam fastened to the keel of a ship. A keelson strengthens the hull.',
    ]);
    expect(hits[0]).toMatchObject({ documentTitle: 'Boats', vectorScore: null });
    for (const hit of hits) {
      expect(hit.score).toBe(hit.textScore);
      expect(hit.score).toBeGreaterThan(0);
      expect(hit.score).toBeLessThan(1);
    }
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });

  it("never returns another owner's chunks", async () => {
    const { hits } = (await search(t, { query: 'keelson' }, 'bob')).json<{ hits: Hit[] }>();
    expect(hits.map((hit) => hit.documentTitle)).toEqual(['Bob boats']);
  });

  it('understands web-search syntax: phrases and exclusions', async () => {
    const phrase = (await search(t, { query: '"rudder steers"' })).json<{ hits: Hit[] }>().hits;
    expect(phrase.map((hit) => hit.content)).toEqual(['Sails and masts move a ship; the rudder steers it.']);
    const excluded = (await search(t, { query: 'ship -rudder' })).json<{ hits: Hit[] }>().hits;
    expect(excluded.map((hit) => hit.content)).toEqual([
      'The keelson is a beam fastened to the keel of a ship. A keelson strengthens the hull.',
    ]);
  });

  it('honours limit, and answers an empty list for stop words or unbalanced syntax', async () => {
    expect((await search(t, { query: 'keelson', limit: 1 })).json<{ hits: Hit[] }>().hits).toHaveLength(1);
    for (const query of ['the and of', '"unbalanced', '-', '!!! & | :*']) {
      const response = await search(t, { query });
      expect(response.statusCode, query).toBe(200);
      expect(response.json<{ hits: Hit[] }>().hits, query).toEqual([]);
    }
  });

  it.each([
    ['no query', { limit: 3 }, '/query'],
    ['a blank query', { query: '   ' }, '/query'],
    ['a query of the wrong type', { query: ['keelson'] }, '/query'],
    ['a NUL character', { query: 'keel\u0000son' }, '/query'],
    ['a limit of 0', { query: 'x', limit: 0 }, '/limit'],
    ['a limit above 50', { query: 'x', limit: 51 }, '/limit'],
    ['a fractional limit', { query: 'x', limit: 1.5 }, '/limit'],
  ])('answers 400 with field detail for %s', async (_case, body, pointer) => {
    const response = await search(t, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      errors: expect.arrayContaining([expect.objectContaining({ location: 'body', pointer })]),
    });
  });

  it("names where an uploaded file's passage comes from: its PDF page, or its headings", async () => {
    await seed(t, 'carol', 'Harbour manual.pdf', [
      { content: 'Mooring fees are paid at the quay office.', metadata: { page: 7 } },
    ]);
    await seed(t, 'carol', 'Handbook.docx', [
      { content: 'Mooring lines are checked at dawn.', metadata: { headings: ['Handbook', 'Safety'] } },
    ]);
    await seed(t, 'carol', 'Typed note', [{ content: 'Mooring is free on Sundays.' }]);
    const response = await search(t, { query: 'mooring' }, 'carol');
    const hits = response.json<{ hits: (Hit & { page: number | null; headings: string[] | null })[] }>().hits;
    expect(hits.map((hit) => [hit.documentTitle, hit.page, hit.headings])).toEqual(
      expect.arrayContaining([
        ['Harbour manual.pdf', 7, null],
        ['Handbook.docx', null, ['Handbook', 'Safety']],
        ['Typed note', null, null],
      ]),
    );
  });

  it('answers 413 for an oversized body', async () => {
    const response = await search(t, { query: 'x'.repeat(70 * 1024) });
    expect(response.statusCode).toBe(413);
  });
});

describe('POST /v1/search (hybrid: the query has an embedding)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A stand-in embedding model: every query points along axis 0.
    t = await createTestApp({ embedQuery: async () => unit(0) });
    await seed(t, 'alice', 'Mixed', [
      { content: 'Anchors hold a ship in place.', embedding: unit(0) }, // text and vector match
      { content: 'Heavy iron keeps a vessel still.', embedding: unit(0, 0.5) }, // vector only: similar meaning
      { content: 'Anchors are also a sailor tattoo.' }, // text only: no embedding yet
      { content: 'Bananas are yellow.', embedding: unit(7) }, // neither (orthogonal)
    ]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('joins vector similarity in: w = 0.5 of each, chunks without embeddings still found by text', async () => {
    const { hits } = (await search(t, { query: 'anchors' })).json<{ hits: Hit[] }>();
    const byContent = new Map(hits.map((hit) => [hit.content, hit]));

    const both = byContent.get('Anchors hold a ship in place.')!;
    expect(both.vectorScore).toBeCloseTo(1, 6);
    expect(both.score).toBeCloseTo(0.5 * both.textScore! + 0.5 * 1, 6);
    expect(hits[0]).toBe(both);

    const vectorOnly = byContent.get('Heavy iron keeps a vessel still.')!;
    expect(vectorOnly.textScore).toBeNull();
    expect(vectorOnly.vectorScore).toBeCloseTo(1 / Math.hypot(1, 0.5), 6);
    expect(vectorOnly.score).toBeCloseTo(0.5 * vectorOnly.vectorScore!, 6);

    const textOnly = byContent.get('Anchors are also a sailor tattoo.')!;
    expect(textOnly.vectorScore).toBeNull();
    expect(textOnly.score).toBeCloseTo(0.5 * textOnly.textScore!, 6);

    // The orthogonal chunk is a vector candidate with similarity 0, ranked last.
    expect(hits.at(-1)).toMatchObject({ content: 'Bananas are yellow.', score: 0 });
  });
});
