import type * as FileType from 'file-type';

/**
 * The kinds of file a document can be made from, each recognized by its content (magic bytes,
 * valid UTF-8), never by a name or a declared type: a client may name a file anything. The api
 * decides from the first bytes of an upload (`SNIFF_BYTES`), the task-runner again from the
 * whole file before converting it, so a stored object is never trusted for what it claims.
 */
export const documentKinds = {
  pdf: { mediaType: 'application/pdf', label: 'PDF' },
  docx: {
    mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    label: 'DOCX',
  },
  markdown: { mediaType: 'text/markdown; charset=utf-8', label: 'Markdown' },
  html: { mediaType: 'text/html; charset=utf-8', label: 'HTML' },
  text: { mediaType: 'text/plain; charset=utf-8', label: 'plain text' },
} as const;

export type DocumentKind = keyof typeof documentKinds;

/** For messages: what a client may upload. */
export const ACCEPTED_TYPES = 'PDF, DOCX, Markdown, HTML or plain text (UTF-8)';

/** How much of a file decides its kind: enough for a DOCX's zip directory entries to be seen. */
export const SNIFF_BYTES = 64 * 1024;

export type Detection =
  | { kind: DocumentKind }
  /** Zero bytes: accepted as a document (the task-runner marks it failed, saying so). */
  | { kind: 'empty' }
  /** None of the accepted kinds; `what` describes what it seems to be instead. */
  | { kind: 'rejected'; what: string };

/** The kind of `DocumentKind` whose media type is `mediaType` (as stored with a document). */
export function kindOfMediaType(mediaType: string): DocumentKind | undefined {
  return (Object.keys(documentKinds) as DocumentKind[]).find(
    (kind) => documentKinds[kind].mediaType === mediaType,
  );
}

/**
 * file-type (and the tokenizer under it, ~40 modules) is imported by the first detection, not by
 * whoever imports this package for its constants: the api does at start-up, and only uploads
 * detect anything.
 */
let fileType: Promise<typeof FileType> | undefined;
export const importFileType = () => (fileType ??= import('file-type'));

/**
 * Recognizes a file from `bytes`: its first bytes (`complete: false`, e.g. the first
 * SNIFF_BYTES of an upload) or all of it (`complete: true`).
 */
export async function detectDocumentKind(
  bytes: Uint8Array,
  { complete }: { complete: boolean },
): Promise<Detection> {
  if (bytes.length === 0)
    return complete ? { kind: 'empty' } : { kind: 'rejected', what: 'nothing (no bytes)' };
  const { fileTypeFromBuffer } = await importFileType();
  const binary = await fileTypeFromBuffer(bytes);
  if (binary) {
    if (binary.ext === 'pdf') return { kind: 'pdf' };
    if (binary.ext === 'docx') return { kind: 'docx' };
    return { kind: 'rejected', what: `a ${binary.ext.toUpperCase()} file (${binary.mime})` };
  }
  const text = decodeUtf8(bytes, complete);
  if (text === undefined) return { kind: 'rejected', what: describeBinary(bytes) };
  if (looksLikeHtml(text)) return { kind: 'html' };
  if (looksLikeMarkdown(text)) return { kind: 'markdown' };
  return { kind: 'text' };
}

/**
 * C0 control characters that never occur in text (tab, line feed, form feed, carriage return and
 * escape do): one of them, NUL above all, means a binary file.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BINARY_CONTROL = /[\x00-\x08\x0E-\x1A\x1C-\x1F]/;

/** The text, when `bytes` is UTF-8 without binary control characters; undefined otherwise. */
export function decodeUtf8(bytes: Uint8Array, complete = true): string | undefined {
  let end = bytes.length;
  if (!complete) end -= incompleteTail(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes.subarray(0, end));
  } catch {
    return undefined;
  }
  return BINARY_CONTROL.test(text) ? undefined : text;
}

/** Bytes at the end that start a UTF-8 sequence the sample cut off (0 to 3). */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

function describeBinary(bytes: Uint8Array): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    return 'UTF-16 text (save it as UTF-8)';
  return 'binary data of an unrecognized kind';
}

/**
 * The WHATWG MIME sniffing standard's HTML signatures (§7.1): after optional whitespace, one of
 * these tags followed by a space or `>` (a comment by itself does not make HTML).
 */
const HTML_START =
  /^\s*(<!doctype html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a|<style|<title|<b|<body|<br|<p|<!--)[\s>]/i;

function looksLikeHtml(text: string): boolean {
  return HTML_START.test(text.replace(/^\uFEFF/, ''));
}

/**
 * CommonMark constructs that plain text does not use by accident: an ATX heading (`# Title`), a
 * setext heading (a line underlined with `===`), a fenced code block. Markdown and plain text are
 * stored and indexed alike; the kind only decides whether headings become chunk metadata.
 */
const MARKDOWN = /^ {0,3}#{1,6}[ \t]+\S|^[^\n]*\S[^\n]*\n {0,3}(=+|-{2,})[ \t]*$|^ {0,3}(```|~~~)/m;

function looksLikeMarkdown(text: string): boolean {
  return MARKDOWN.test(text);
}
