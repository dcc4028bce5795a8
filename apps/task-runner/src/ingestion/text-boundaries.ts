/**
 * The boundaries the splitter cuts at, found by scanning character codes rather than by
 * `String.prototype.split`: a split allocates one string per word (half a million for a megabyte
 * of one-letter words), and the garbage collection of those cost more than the splitting. Each
 * scanner finds exactly what the regular expression in its comment matches, with `split`'s
 * left-to-right, non-overlapping search (test/text-boundaries.test.ts compares them on every input
 * it generates).
 */

/** JavaScript's `\s`, which is also what `String.prototype.trim` removes: WhiteSpace and LineTerminator. */
export function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

const NEWLINE = 0x0a;

/** `.!?…`: the punctuation a sentence boundary follows. */
function endsSentence(code: number): boolean {
  return code === 0x2e || code === 0x21 || code === 0x3f || code === 0x2026;
}

/** The end of the run of whitespace starting at `from` (`from` itself when there is none), before `to`. */
function spaceRunEnd(text: string, from: number, to: number): number {
  let end = from;
  while (end < to && isSpace(text.charCodeAt(end))) end++;
  return end;
}

/** A range of the text, [start, end). Scanners fill one in place rather than allocate one per match. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Finds the next separator of one level in text[from, to) and puts it in `found`; false when there
 * is none. Levels, largest first: 0 paragraphs, 1 lines, 2 sentences. The last level, words
 * (`/\s+/`), is a loop of its own in the splitter.
 */
export type SeparatorScanner = (text: string, from: number, to: number, found: Span) => boolean;

function found(span: Span, start: number, end: number): true {
  span.start = start;
  span.end = end;
  return true;
}

export const SEPARATOR_SCANNERS: readonly SeparatorScanner[] = [
  // /\n\s*\n/: a newline, then whitespace up to the last newline of that run (greedy `\s*` backs
  // off to it). A run with no second newline is no match; the search goes on after it.
  (text, from, to, span) => {
    let at = text.indexOf('\n', from);
    while (at !== -1 && at < to) {
      let last = -1;
      let end = at + 1;
      for (; end < to && isSpace(text.charCodeAt(end)); end++) {
        if (text.charCodeAt(end) === NEWLINE) last = end;
      }
      if (last !== -1) return found(span, at, last + 1);
      at = text.indexOf('\n', end);
    }
    return false;
  },
  // /\n/
  (text, from, to, span) => {
    const at = text.indexOf('\n', from);
    return at !== -1 && at < to && found(span, at, at + 1);
  },
  // /(?<=[.!?…])\s+/: a run of whitespace right after sentence punctuation. The look-behind sees
  // only the text being split, so it never looks before `from`.
  (text, from, to, span) => {
    for (let at = from + 1; at < to; at++) {
      if (!isSpace(text.charCodeAt(at))) continue;
      const end = spaceRunEnd(text, at, to);
      if (endsSentence(text.charCodeAt(at - 1))) return found(span, at, end);
      at = end;
    }
    return false;
  },
];

/** Narrows `span` to text[span.start, span.end) without its leading and trailing whitespace, as `trim()` would. */
export function trim(text: string, span: Span): void {
  while (span.start < span.end && isSpace(text.charCodeAt(span.start))) span.start++;
  while (span.end > span.start && isSpace(text.charCodeAt(span.end - 1))) span.end--;
}
