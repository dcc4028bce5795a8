import mammoth from 'mammoth';
import yauzl from 'yauzl';
import { htmlSections } from './html.ts';
import { DocumentRejected, type Section } from './sections.ts';

export interface DocxLimits {
  /** The most the DOCX's text parts (everything but `word/media/`) may expand to when unzipped. */
  maxUnzippedBytes: number;
}

/** Embedded images: mammoth never reads them (images are left out), so they are never inflated. */
const MEDIA = /^word\/media\//;

/**
 * DOCX → HTML with mammoth (headings from Word's heading styles, images left out), then the HTML
 * path. Before mammoth sees it, every part mammoth may read is expanded once here with a byte
 * counter: mammoth (jszip) inflates a part whole into memory, so a zip bomb is stopped by
 * counting what it really expands to, whatever its headers claim.
 */
export async function docxSections(bytes: Uint8Array, limits: DocxLimits): Promise<Section[]> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await checkExpansion(buffer, limits.maxUnzippedBytes);
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer },
      // Images carry no text; their bytes would only be inlined into the HTML as base64.
      { convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })) },
    );
    html = result.value;
  } catch (error) {
    throw new DocumentRejected(
      `The DOCX cannot be read (${oneLine(error)}): open it in a word processor, save it again as .docx and upload it again.`,
    );
  }
  const sections = htmlSections(html);
  if (sections.length === 0) throw new DocumentRejected('The DOCX contains no text.');
  return sections;
}

const MiB = 1024 * 1024;

async function checkExpansion(buffer: Buffer, limit: number): Promise<void> {
  const tooBig = () =>
    new DocumentRejected(
      `The DOCX's text expands to more than ${Math.round(limit / MiB)} MiB when unzipped, so it was not opened (a zip bomb?): save it again from a word processor, or split it, and upload it again.`,
    );
  const damaged = (error: unknown) =>
    new DocumentRejected(
      `The DOCX is damaged (${oneLine(error)}): open it in a word processor, save it again and upload the new file.`,
    );

  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    // validateEntrySizes: an entry that inflates past the size its header declares is an error.
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true }, (error, file) =>
      error ? reject(damaged(error)) : resolve(file),
    ),
  );
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      zip.close();
      reject(error instanceof DocumentRejected ? error : damaged(error));
    };
    zip.on('error', fail);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/') || MEDIA.test(entry.fileName)) return zip.readEntry();
      // Declared sizes first: a bomb that admits it is refused without inflating a byte.
      if (total + entry.uncompressedSize > limit) return fail(tooBig());
      zip.openReadStream(entry, (error, stream) => {
        if (error) return fail(error);
        stream.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > limit) {
            stream.destroy();
            fail(tooBig());
          }
        });
        stream.on('error', fail);
        stream.on('end', () => zip.readEntry());
      });
    });
    zip.readEntry();
  });
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 200);
}
