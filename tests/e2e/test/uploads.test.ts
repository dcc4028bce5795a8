import { buildDocx, buildPdf, uniqueId } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, reportMetric, since } from '../src/compose.ts';
import { ApiClient } from '../src/http.ts';
import { ProdStack } from '../src/prod-stack.ts';

/**
 * Issue 16 on the prod profile, through the load balancer: files uploaded to the api replicas land
 * in the stack's own S3 server (s3-prod, radosgw), the task-runner converts them, and their text is
 * found by search and by an agent turn's tool call, each naming the page or heading it came from.
 * The files are made by the test (packages/testing's PDF and DOCX writers), nothing is downloaded.
 */
let stack: ProdStack;
let api: ApiClient;
let token: string;

beforeAll(async () => {
  // Its own `ingress` subnet (prod-stack.test.ts uses the default 10.203.17.0/27).
  stack = await ProdStack.create('keelson-e2e-uploads', [], { LB_NETWORK_PREFIX: '10.203.21' });
  await stack.project.down();
  let started = performance.now();
  await stack.project.compose(['build']);
  reportMetric('uploads.build', since(started), 'ms');
  started = performance.now();
  await stack.project.compose(['up', '--detach', '--wait', '--wait-timeout', '240']);
  reportMetric('uploads.up_to_healthy', since(started), 'ms');
  await stack.connect();
  await stack.waitForReadyReplicas(3);
  token = await stack.token('e2e-uploads');
  api = new ApiClient(stack.baseUrl, token);
});

afterAll(async () => {
  if (process.env.E2E_KEEP !== '1' && stack) await stack.dispose();
});

/** POST /v1/documents as multipart/form-data, encoded by fetch itself. */
async function upload(bytes: Uint8Array, filename: string, title: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes]), filename);
  form.append('title', title);
  const response = await fetch(`${stack.baseUrl}/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { id: string };
  expect(response.status, JSON.stringify(body)).toBe(202);
  return body.id;
}

/**
 * The object keys under `prefix` in the bucket, listed by the S3 server itself with the key the
 * apps use (curl's SigV4 in the s3-prod container, whose secrets hold it).
 */
async function storedKeys(prefix: string): Promise<string[]> {
  const s3 = await stack.project.containerId('s3-prod');
  const xml = await docker([
    'exec',
    s3,
    'sh',
    '-c',
    'curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user "$(cat /run/secrets/storage-access-key-id):$(cat /run/secrets/storage-secret-access-key)" "http://127.0.0.1:7480/keelson?list-type=2&prefix=$1"',
    'list',
    prefix,
  ]);
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((match) => match[1]!);
}

interface Hit {
  documentId: string;
  content: string;
  page: number | null;
  headings: string[] | null;
}

describe('uploads on the prod profile', () => {
  const pdfWord = uniqueId('lighthouse').replace(/-/g, '');
  const docxWord = uniqueId('harbour').replace(/-/g, '');
  const pdf = buildPdf({
    pages: [['Keeper log, first page.'], [`The lamp was replaced; inspection code ${pdfWord}.`]],
    compress: true,
  });
  const docx = buildDocx([
    { text: 'Handbook', heading: 1 },
    { text: 'Mooring', heading: 2 },
    { text: `Lines are doubled in a storm; berth code ${docxWord}.` },
  ]);
  let pdfId = '';
  let docxId = '';

  it('stores a PDF and a DOCX in the bucket, converts them, and search names the page and the heading', async () => {
    const started = performance.now();
    pdfId = await upload(pdf, 'keeper-log.pdf', 'Keeper log');
    docxId = await upload(docx, 'handbook.docx', 'Harbour handbook');
    await stack.waitForDocumentsReady([pdfId, docxId], 120_000, 'the uploaded PDF and DOCX');
    reportMetric('uploads.two_files_to_ready', since(started), 'ms');

    const [pdfKey, docxKey] = await Promise.all(
      [pdfId, docxId].map(
        async (id) => (await stack.sql(`select object_key from documents where id = '${id}'`))[0]!,
      ),
    );
    expect(await storedKeys(pdfKey!)).toEqual([pdfKey]);
    expect(await storedKeys(docxKey!)).toEqual([docxKey]);

    const search = async (query: string) => {
      const response = await api.request('POST', '/v1/search', { body: { query, limit: 5 } });
      expect(response.status).toBe(200);
      return (response.body as { hits: Hit[] }).hits;
    };
    const [pdfHit] = await search(pdfWord);
    expect(pdfHit).toMatchObject({ documentId: pdfId, page: 2 });
    expect(pdfHit!.content).toContain(pdfWord);
    const [docxHit] = await search(docxWord);
    expect(docxHit).toMatchObject({ documentId: docxId, headings: ['Handbook', 'Mooring'] });
    expect(docxHit!.content).toContain(docxWord);
  });

  it("finds them through an agent turn's search_documents call, with the page and the section", async () => {
    const created = await api.request('POST', '/v1/conversations', { body: { title: 'uploads' } });
    expect(created.status).toBe(201);
    const conversation = (created.body as { id: string }).id;
    // The scripted model calls search_documents for "search: …" and quotes the tool result it was
    // given: the agent hands the model the tool's structured result, where each passage names its
    // page or its headings.
    for (const [word, location] of [
      [pdfWord, '"page":2'],
      [docxWord, '"headings":["Handbook","Mooring"]'],
    ] as const) {
      const turn = await api.request('POST', `/v1/conversations/${conversation}/messages`, {
        body: { content: `search: ${word}` },
        timeoutMs: 60_000,
      });
      expect(turn.status).toBe(200);
      const reply = (turn.body as { reply: { content: string } }).reply.content;
      expect(reply).toContain('Here is what I found');
      expect(reply).toContain(word);
      expect(reply).toContain(location);
    }
  });

  it('gives the original back through GET …/file, and deleting the document deletes its object', async () => {
    for (const [id, bytes] of [
      [pdfId, pdf],
      [docxId, docx],
    ] as const) {
      const response = await fetch(`${stack.baseUrl}/v1/documents/${id}/file`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(30_000),
      });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    }

    const [key] = await stack.sql(`select object_key from documents where id = '${pdfId}'`);
    expect(await storedKeys(key!)).toEqual([key]);
    expect((await api.request('DELETE', `/v1/documents/${pdfId}`)).status).toBe(204);
    expect(await storedKeys(key!)).toEqual([]);
    expect((await api.request('GET', `/v1/documents/${pdfId}/file`)).status).toBe(404);
    // The other document and its object are untouched.
    const [other] = await stack.sql(`select object_key from documents where id = '${docxId}'`);
    expect(await storedKeys(other!)).toEqual([other]);
  });
});
