import { extractText, getDocumentProxy } from 'unpdf';
import { DocumentRejected, type Section } from './sections.ts';

/**
 * PDF → text, page by page, with pdf.js (the `unpdf` build for servers: 2 MB, no native code).
 * Measured against poppler's pdftotext on two real manuals it found 99.7–99.9 % of the same words
 * at a thirtieth of the image cost (apps/task-runner/README.md, "Converters").
 */
export async function pdfSections(bytes: Uint8Array): Promise<Section[]> {
  let pages: string[];
  try {
    // verbosity 0: pdf.js's warnings about damaged files would go to the console, not our log.
    const pdf = await getDocumentProxy(bytes, { verbosity: 0 });
    pages = (await extractText(pdf, { mergePages: false })).text;
  } catch (error) {
    throw rejection(error);
  }
  const sections = pages.flatMap((text, index) =>
    text.trim() === '' ? [] : [{ text: text.trim(), page: index + 1 }],
  );
  if (sections.length === 0) {
    throw new DocumentRejected(
      `The PDF has no text layer (its ${pages.length === 1 ? 'page is' : `${pages.length} pages are`} images only, e.g. a scan): run it through OCR and upload the result.`,
    );
  }
  return sections;
}

function rejection(error: unknown): unknown {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'PasswordException') {
    return new DocumentRejected(
      'The PDF is encrypted with a password: remove the password (e.g. print it to a new PDF) and upload it again.',
    );
  }
  if (name === 'InvalidPDFException' || name === 'FormatError' || name === 'UnknownErrorException') {
    return new DocumentRejected(
      'The PDF is damaged and cannot be read (its structure is invalid or the file is truncated): export it again and upload the new file.',
    );
  }
  return error;
}
