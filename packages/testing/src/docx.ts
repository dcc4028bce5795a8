import { Zip, ZipDeflate, zipSync, type Zippable } from 'fflate';

/**
 * DOCX files made with a zip library, as Word lays them out: `[Content_Types].xml` first, the
 * package and document relationships, `word/document.xml`, and `word/styles.xml` naming the
 * heading styles ("heading 1", … as Word writes them) that converters map to headings.
 */

export interface DocxParagraph {
  text: string;
  /** A heading of this level (Word's "heading N" style); a body paragraph without it. */
  heading?: 1 | 2 | 3;
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`;

const PACKAGE_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

const DOCUMENT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`;

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

const STYLES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="${W}">${[1, 2, 3]
  .map(
    (level) =>
      `<w:style w:type="paragraph" w:styleId="Heading${level}"><w:name w:val="heading ${level}"/><w:basedOn w:val="Normal"/></w:style>`,
  )
  .join(
    '',
  )}<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>`;

const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function documentXml(paragraphs: DocxParagraph[]): string {
  const body = paragraphs
    .map(
      ({ text, heading }) =>
        `<w:p>${heading ? `<w:pPr><w:pStyle w:val="Heading${heading}"/></w:pPr>` : ''}<w:r><w:t xml:space="preserve">${xmlText(text)}</w:t></w:r></w:p>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="${W}"><w:body>${body}</w:body></w:document>`;
}

function parts(paragraphs: DocxParagraph[]): Zippable {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  // Insertion order is zip order: [Content_Types].xml first, as Word writes it.
  return {
    '[Content_Types].xml': utf8(CONTENT_TYPES),
    '_rels/.rels': utf8(PACKAGE_RELS),
    'word/_rels/document.xml.rels': utf8(DOCUMENT_RELS),
    'word/document.xml': utf8(documentXml(paragraphs)),
    'word/styles.xml': utf8(STYLES),
  };
}

export function buildDocx(paragraphs: DocxParagraph[]): Buffer {
  return Buffer.from(zipSync(parts(paragraphs)));
}

/**
 * A DOCX that is a zip bomb: a valid document plus a part a converter reads
 * (`word/footnotes.xml`) of `expandedBytes` zeros, which deflate shrinks about a thousandfold
 * (96 MiB → ~0.1 MB). Streamed through the compressor, so making it never holds the expanded
 * bytes. The zip's sizes are honest (what a tool writes).
 */
/** The part of buildDocxBomb's archive that holds the zeros. */
export const BOMB_PART = 'word/footnotes.xml';

export async function buildDocxBomb(expandedBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const zip = new Zip((error, chunk, final) => {
      if (error) return reject(error);
      chunks.push(chunk);
      if (final) resolve();
    });
    for (const [name, data] of Object.entries(parts([{ text: 'Quarterly report', heading: 1 }]))) {
      const entry = new ZipDeflate(name, { level: 6 });
      zip.add(entry);
      entry.push(data as Uint8Array, true);
    }
    const zeros = new ZipDeflate(BOMB_PART, { level: 9 });
    zip.add(zeros);
    const block = new Uint8Array(4 * 1024 * 1024);
    for (let written = 0; written < expandedBytes; written += block.length) {
      const size = Math.min(block.length, expandedBytes - written);
      zeros.push(size === block.length ? block : block.subarray(0, size), written + size >= expandedBytes);
    }
    zip.end();
  });
  await done;
  return Buffer.concat(chunks);
}
