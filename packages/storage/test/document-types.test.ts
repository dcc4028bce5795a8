import { buildDocx, buildPdf } from '@repo/testing';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { detectDocumentKind, SNIFF_BYTES } from '../src/index.ts';

const sniff = (bytes: Uint8Array | string) =>
  detectDocumentKind(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes, {
    complete: false,
  });

describe('recognizing a file by its content', () => {
  it('knows the accepted kinds from their first bytes, whatever they are called', async () => {
    expect(await sniff(buildPdf({ pages: [['x']] }).subarray(0, SNIFF_BYTES))).toEqual({ kind: 'pdf' });
    expect(await sniff(buildDocx([{ text: 'x' }]).subarray(0, SNIFF_BYTES))).toEqual({ kind: 'docx' });
    expect(await sniff('<!DOCTYPE html><html><body>x</body></html>')).toEqual({ kind: 'html' });
    expect(await sniff('\uFEFF  <p>A fragment</p>')).toEqual({ kind: 'html' });
    expect(await sniff('# Title\n\nBody text.')).toEqual({ kind: 'markdown' });
    expect(await sniff('Title\n=====\n\nBody.')).toEqual({ kind: 'markdown' });
    expect(await sniff('Plain notes.\n#hashtag is not a heading.\nTabs\tand ünïcödé.')).toEqual({
      kind: 'text',
    });
  });

  it('a sample cut inside a UTF-8 character is still text', async () => {
    const bytes = new TextEncoder().encode('é'.repeat(10));
    expect(await sniff(bytes.subarray(0, 7))).toEqual({ kind: 'text' });
    expect(await detectDocumentKind(bytes.subarray(0, 7), { complete: true })).toMatchObject({
      kind: 'rejected',
    });
  });

  it('names what a refused file seems to be', async () => {
    expect(await sniff(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toEqual({
      kind: 'rejected',
      what: 'a PNG file (image/png)',
    });
    expect(await sniff(zipSync({ 'a.txt': new TextEncoder().encode('x') }))).toEqual({
      kind: 'rejected',
      what: 'a ZIP file (application/zip)',
    });
    expect(await sniff(Buffer.from([0x00, 0x61, 0x00, 0x62]))).toEqual({
      kind: 'rejected',
      what: 'binary data of an unrecognized kind',
    });
    expect(await sniff(Buffer.from('\xff\xfeh\x00i\x00', 'latin1'))).toEqual({
      kind: 'rejected',
      what: 'UTF-16 text (save it as UTF-8)',
    });
    expect(await sniff(Buffer.from([0xc3, 0x28, 0x41]))).toMatchObject({ kind: 'rejected' }); // invalid UTF-8
  });

  it('an empty file is its own case: accepted by the api, failed by the task-runner', async () => {
    expect(await detectDocumentKind(new Uint8Array(), { complete: true })).toEqual({ kind: 'empty' });
  });
});
