import { parentPort, workerData } from 'node:worker_threads';
import { docxSections } from './docx.ts';
import { htmlSections } from './html.ts';
import { markdownSections } from './markdown.ts';
import { pdfSections } from './pdf.ts';
import { DocumentRejected, type Section } from './sections.ts';

/**
 * The worker thread one file is converted in (convert.ts starts a new one per file, with its own
 * heap limit, and ends it on a timeout or when its memory grows past the limit). Its only job:
 * bytes and kind in, sections or a rejection out.
 */
export interface ConvertRequest {
  bytes: Uint8Array;
  /** Decided by convert.ts from the whole file (`detectDocumentKind`), UTF-8 already checked. */
  kind: 'pdf' | 'docx' | 'html' | 'markdown' | 'text';
  maxUnzippedBytes: number;
}

export type ConvertReply =
  { ok: true; sections: Section[] } | { ok: false; rejected: string } | { ok: false; error: string };

async function convert({ bytes, kind, maxUnzippedBytes }: ConvertRequest): Promise<Section[]> {
  switch (kind) {
    case 'pdf':
      return pdfSections(bytes);
    case 'docx':
      return docxSections(bytes, { maxUnzippedBytes });
    case 'html':
      return htmlSections(text(bytes));
    case 'markdown':
      return markdownSections(text(bytes));
    case 'text':
      return [{ text: text(bytes) }];
  }
}

/**
 * The file's text. The worker imports no workspace package (it runs without the source-mode
 * resolution flags), so it decodes by itself; convert.ts has already checked the UTF-8.
 */
function text(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

const request = workerData as ConvertRequest;
let reply: ConvertReply;
try {
  reply = { ok: true, sections: await convert(request) };
} catch (error) {
  reply =
    error instanceof DocumentRejected
      ? { ok: false, rejected: error.message }
      : { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}
parentPort!.postMessage(reply);
