import { BOMB_PART, buildDocx, buildDocxBomb, buildPdf } from '@repo/testing';
import { describe, expect, it } from 'vitest';
import { convertFile, type ConversionLimits } from '../src/conversion/convert.ts';
import { DocumentRejected } from '../src/conversion/sections.ts';

const limits: ConversionLimits = { timeoutMs: 20_000, memoryMb: 128, maxUnzippedBytes: 64 * 1024 * 1024 };

const convert = (bytes: Buffer | string, overrides: Partial<ConversionLimits> = {}) =>
  convertFile(Buffer.from(bytes), { ...limits, ...overrides });

async function rejection(bytes: Buffer | string, overrides: Partial<ConversionLimits> = {}): Promise<string> {
  const error = await convert(bytes, overrides).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DocumentRejected);
  return (error as Error).message;
}

describe('conversion of each accepted kind', () => {
  it('PDF: text page by page, each section naming its page', async () => {
    const pdf = buildPdf({
      pages: [
        ['Harbour rules (2026 edition)', 'Moor at the north quay.'],
        [],
        ['Fees are paid at the office.'],
      ],
      compress: true,
    });
    const { kind, sections } = await convert(pdf);
    expect(kind).toBe('pdf');
    expect(sections).toEqual([
      { page: 1, text: 'Harbour rules (2026 edition)\nMoor at the north quay.' },
      { page: 3, text: 'Fees are paid at the office.' },
    ]);
  });

  it('DOCX: paragraphs as text, Word headings as the heading path of what follows them', async () => {
    const docx = buildDocx([
      { text: 'Operations manual', heading: 1 },
      { text: 'Read this first.' },
      { text: 'Start-up', heading: 2 },
      { text: 'Open the valve & wait.' },
      { text: 'Shutdown', heading: 2 },
      { text: 'Close the valve.' },
    ]);
    const { kind, sections } = await convert(docx);
    expect(kind).toBe('docx');
    expect(sections).toEqual([
      { headings: ['Operations manual'], text: 'Operations manual\n\nRead this first.' },
      { headings: ['Operations manual', 'Start-up'], text: 'Start-up\n\nOpen the valve & wait.' },
      { headings: ['Operations manual', 'Shutdown'], text: 'Shutdown\n\nClose the valve.' },
    ]);
  });

  it('HTML: scripts, styles and templates dropped, headings kept as sections', async () => {
    const html = `<!doctype html><html><head><title>Guide</title><style>p{color:red}</style>
      <script>var token = "do-not-index";</script></head><body>
      <p>Intro text.</p><h1>Install</h1><p>Run the <a href="/x">installer</a>.</p>
      <script>alert("do-not-index")</script><template>do-not-index</template>
      <h2>On Linux</h2><ul><li>apt</li><li>dnf</li></ul></body></html>`;
    const { kind, sections } = await convert(html);
    expect(kind).toBe('html');
    expect(sections).toEqual([
      { text: 'Intro text.' },
      { headings: ['Install'], text: 'Install\n\nRun the installer.' },
      { headings: ['Install', 'On Linux'], text: 'On Linux\n\n * apt\n * dnf' },
    ]);
    expect(JSON.stringify(sections)).not.toContain('do-not-index');
  });

  it('Markdown: kept as written, cut at headings (not at a # inside code)', async () => {
    const markdown =
      '# Guide\n\nWelcome.\n\n## Build\n\n```sh\n# not a heading\nmake\n```\n\n### Flags\n\n-j4\n';
    const { kind, sections } = await convert(markdown);
    expect(kind).toBe('markdown');
    expect(sections).toEqual([
      { headings: ['Guide'], text: '# Guide\n\nWelcome.' },
      { headings: ['Guide', 'Build'], text: '## Build\n\n```sh\n# not a heading\nmake\n```' },
      { headings: ['Guide', 'Build', 'Flags'], text: '### Flags\n\n-j4' },
    ]);
  });

  it('plain text: one section, as written', async () => {
    expect(await convert('\uFEFFJust a note.\nSecond line.')).toEqual({
      kind: 'text',
      sections: [{ text: 'Just a note.\nSecond line.' }],
    });
  });
});

describe('bad files explain themselves', () => {
  it('an encrypted PDF', async () => {
    expect(await rejection(buildPdf({ pages: [['Payroll']], userPassword: 'hunter2' }))).toMatch(
      /^The PDF is encrypted with a password: remove the password/,
    );
  });

  it('a corrupt or truncated PDF', async () => {
    expect(await rejection(Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2_000, 0x41)]))).toMatch(
      /^The PDF is damaged and cannot be read/,
    );
    expect(await rejection(buildPdf({ pages: [['Cut short']] }).subarray(0, 200))).toMatch(
      /^The PDF is damaged and cannot be read/,
    );
  });

  it('a PDF of scanned images only', async () => {
    expect(await rejection(buildPdf({ pages: [[], [], []], imageOnly: true }))).toBe(
      'The PDF has no text layer (its 3 pages are images only, e.g. a scan): run it through OCR and upload the result.',
    );
  });

  it('a DOCX zip bomb, refused by what it expands to', async () => {
    const bomb = await buildDocxBomb(96 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    expect(await rejection(bomb)).toMatch(
      /^The DOCX's text expands to more than 64 MiB when unzipped, so it was not opened \(a zip bomb\?\)/,
    );
  });

  it('a DOCX whose zip headers understate what it expands to', async () => {
    const bomb = await buildDocxBomb(8 * 1024 * 1024);
    // Rewrite the big entry's declared size (local header and central directory) to 1 KiB.
    const lying = Buffer.from(bomb);
    const name = Buffer.from(BOMB_PART);
    for (let at = lying.indexOf(name); at !== -1; at = lying.indexOf(name, at + 1)) {
      const signature = lying.readUInt32LE(at - 30);
      if (signature === 0x04034b50) lying.writeUInt32LE(1024, at - 30 + 22);
      if (lying.readUInt32LE(at - 46) === 0x02014b50) lying.writeUInt32LE(1024, at - 46 + 24);
    }
    expect(await rejection(lying)).toMatch(/^The DOCX is damaged \(.*\): open it in a word processor/);
  });

  it('content of no accepted kind, whatever it is called', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    expect(await rejection(png)).toBe(
      "The file's content is a PNG file (image/png), which is not an accepted type: PDF, DOCX, Markdown, HTML or plain text (UTF-8).",
    );
    expect(await rejection(Buffer.from([0x00, 0x01, 0x02, 0xff]))).toMatch(
      /^The file's content is binary data of an unrecognized kind, which is not an accepted type/,
    );
  });

  it('an empty file', async () => {
    expect(await rejection('')).toBe('The file is empty (0 bytes): there is no text to index.');
  });

  it('a file that takes too long, or too much memory, ends its worker and not the process', async () => {
    const big = buildPdf({ pages: Array.from({ length: 400 }, (_, p) => [`Page ${p} of a long report.`]) });
    expect(await rejection(big, { timeoutMs: 1 })).toMatch(
      /^Converting the PDF file took longer than 0 s, the limit per file/,
    );
    // 200 pages of text: far more than 8 MiB of pdf.js state.
    expect(await rejection(big, { memoryMb: 8 })).toMatch(
      /^Converting the PDF file needed more than 8 MiB of memory, the limit per file/,
    );
    // Still converting after both.
    expect((await convert(buildPdf({ pages: [['Still here.']] }))).sections).toEqual([
      { page: 1, text: 'Still here.' },
    ]);
  });
});
