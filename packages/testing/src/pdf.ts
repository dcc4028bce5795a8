import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/**
 * PDFs written by hand, object by object with a correct cross-reference table, so the tests make
 * every file they upload (no binary fixtures): text pages in Helvetica, an image-only page (a
 * "scan" without a text layer), and the Standard security handler's RC4 encryption (PDF 1.7
 * §7.6.3, revision 2) for a password-protected file.
 */

export interface PdfOptions {
  /** Lines of text, page by page. An empty page has no text layer. */
  pages: string[][];
  /** Pages drawn as an image only, like a scan without OCR (no text operator at all). */
  imageOnly?: boolean;
  /** Encrypt with this user password (RC4, 40-bit): a reader without it cannot open the file. */
  userPassword?: string;
  /** Deflate the page contents (real PDFs do; uncompressed makes a big file from little text). */
  compress?: boolean;
}

const PADDING = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

const padded = (password: string) =>
  Buffer.concat([Buffer.from(password, 'latin1'), PADDING]).subarray(0, 32);

/** Text for a PDF literal string: backslash, parentheses escaped; Latin-1 only. */
const literal = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);

export function buildPdf(options: PdfOptions): Buffer {
  const objects: (string | Buffer)[] = [];
  const add = (body: string | Buffer) => objects.push(body) && objects.length;
  const catalog = add('');
  const pagesRef = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  // A 2×2 grey image: what a scanner's page is, minus the resolution.
  const image = options.imageOnly
    ? add(
        Buffer.concat([
          Buffer.from(
            '<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\n',
          ),
          Buffer.from([0x20, 0x80, 0xc0, 0xff]),
          Buffer.from('\nendstream'),
        ]),
      )
    : 0;

  const streamObjects = new Set<number>();
  const kids: number[] = [];
  for (const lines of options.pages) {
    const operators = options.imageOnly
      ? 'q 400 0 0 500 100 200 cm /Im1 Do Q'
      : lines.length === 0
        ? ''
        : `BT /F1 11 Tf 14 TL 72 760 Td ${lines.map((line) => `(${literal(line)}) '`).join(' ')} ET`;
    const raw = Buffer.from(operators, 'latin1');
    const data = options.compress ? deflateSync(raw) : raw;
    const filter = options.compress ? ' /Filter /FlateDecode' : '';
    const content = add(
      Buffer.concat([
        Buffer.from(`<< /Length ${data.length}${filter} >>\nstream\n`),
        data,
        Buffer.from('\nendstream'),
      ]),
    );
    streamObjects.add(content);
    const resources = options.imageOnly
      ? `<< /XObject << /Im1 ${image} 0 R >> >>`
      : `<< /Font << /F1 ${font} 0 R >> >>`;
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesRef} 0 R /MediaBox [0 0 612 792] /Resources ${resources} /Contents ${content} 0 R >>`,
      ),
    );
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesRef} 0 R >>`;
  objects[pagesRef - 1] =
    `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;

  const fileId = createHash('md5').update(JSON.stringify(options.pages)).digest();
  let trailerExtra = '';
  if (options.userPassword !== undefined) {
    // Revision 2: 40-bit RC4; the owner password is a random one nobody needs.
    const permissions = -4; // every permission
    const ownerKey = md5(padded('owner-password-nobody-knows')).subarray(0, 5);
    const o = rc4(ownerKey, padded(options.userPassword));
    const p = Buffer.alloc(4);
    p.writeInt32LE(permissions);
    const key = md5(padded(options.userPassword), o, p, fileId).subarray(0, 5);
    const u = rc4(key, PADDING);
    for (let number = 1; number <= objects.length; number++) {
      const body = objects[number - 1]!;
      if (!streamObjects.has(number) || typeof body === 'string') continue;
      // Each object has its own key: MD5(file key, object number, generation).
      const objectKey = md5(
        key,
        Buffer.from([number & 0xff, (number >> 8) & 0xff, number >> 16, 0, 0]),
      ).subarray(0, 10);
      const start = body.indexOf('stream\n') + 'stream\n'.length;
      const end = body.lastIndexOf('\nendstream');
      objects[number - 1] = Buffer.concat([
        body.subarray(0, start),
        rc4(objectKey, body.subarray(start, end)),
        body.subarray(end),
      ]);
    }
    const encrypt = add(
      `<< /Filter /Standard /V 1 /R 2 /Length 40 /O <${o.toString('hex')}> /U <${u.toString('hex')}> /P ${permissions} >>`,
    );
    trailerExtra = ` /Encrypt ${encrypt} 0 R`;
  }

  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(offset);
    const bytes = Buffer.concat([
      Buffer.from(`${index + 1} 0 obj\n`),
      typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
      Buffer.from('\nendobj\n'),
    ]);
    parts.push(bytes);
    offset += bytes.length;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root ${catalog} 0 R /ID [<${fileId.toString('hex')}> <${fileId.toString('hex')}>]${trailerExtra} >>`,
    'startxref',
    String(offset),
    '%%EOF',
    '',
  ].join('\n');
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

/**
 * A text PDF of about `bytes` bytes (uncompressed pages of numbered sentences), for throughput
 * measurements: 1 MB is roughly 250 pages.
 */
export function pdfOfSize(bytes: number, marker = 'lighthouse'): Buffer {
  const line = (page: number, n: number) =>
    `Page ${page} line ${n}: the ${marker} keeper logs the weather, the ships and the state of the lamp.`;
  const perPage = 45;
  const pageBytes = Buffer.byteLength(line(100, 10)) * perPage + 200;
  const count = Math.max(1, Math.round(bytes / pageBytes));
  return buildPdf({
    pages: Array.from({ length: count }, (_, p) =>
      Array.from({ length: perPage }, (_, n) => line(p + 1, n + 1)),
    ),
  });
}
