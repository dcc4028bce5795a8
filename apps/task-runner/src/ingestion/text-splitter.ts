import { isSpace, SEPARATOR_SCANNERS, trim, type Span } from './text-boundaries.ts';

/**
 * Splits text into chunks for retrieval: each chunk at most `chunkSize` characters, cut at the
 * largest natural boundary that fits (paragraph, then line, then sentence, then word), and each
 * chunk after the first starting with up to `overlap` characters of the previous one's tail, so a
 * sentence cut by a boundary is still found whole in one chunk.
 *
 * The recursive-separator strategy is the one LangChain's RecursiveCharacterTextSplitter made
 * standard. It is written out here (unit-tested) because the library version drags in the whole
 * @langchain/core framework as a peer dependency.
 *
 * Linear in the text's length, whatever it holds: pieces are ranges of the text rather than
 * strings, each piece enters and leaves the chunk being built once, and a chunk is one slice of the
 * text wherever its separators are already the ones it is joined with. (A megabyte of `'a '` took
 * half a second when the chunk's length was re-added for every word it dropped.)
 */
export interface SplitOptions {
  chunkSize: number;
  overlap: number;
}

export function splitText(text: string, { chunkSize, overlap }: SplitOptions): string[] {
  if (chunkSize < 1) throw new RangeError('chunkSize must be at least 1');
  if (overlap < 0 || overlap >= chunkSize) throw new RangeError('overlap must be in [0, chunkSize)');
  const normalized = text.replace(/\r\n?/g, '\n').trim();
  if (normalized === '') return [];
  return packChunks(normalized, findPieces(normalized, chunkSize), chunkSize, overlap);
}

/**
 * Pieces of a text no longer than the chunk size, in order: text[starts[i], ends[i]), followed by
 * the separator JOINERS[joiners[i]] when it is joined to the next piece.
 */
export interface PieceList {
  readonly count: number;
  readonly starts: ArrayLike<number>;
  readonly ends: ArrayLike<number>;
  readonly joiners: ArrayLike<number>;
}

/** Typed arrays of offsets: no string and no object per piece, and no garbage however many pieces there are. */
class Pieces implements PieceList {
  count = 0;
  starts: Int32Array;
  ends: Int32Array;
  joiners: Uint8Array;

  constructor(textLength: number) {
    // Most text has a piece every few words; grown by doubling when it has more.
    const capacity = Math.max(16, textLength >> 6);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.joiners = new Uint8Array(capacity);
  }

  push(start: number, end: number, joiner: number): void {
    if (this.count === this.starts.length) {
      const grown = <T extends Int32Array | Uint8Array>(from: T, to: T) => (to.set(from), to);
      const capacity = this.count * 2;
      this.starts = grown(this.starts, new Int32Array(capacity));
      this.ends = grown(this.ends, new Int32Array(capacity));
      this.joiners = grown(this.joiners, new Uint8Array(capacity));
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.joiners[this.count] = joiner;
    this.count++;
  }
}

/** What pieces are joined with, by the level that cut them: the cut of a hard-cut word, a space, a line, a paragraph. */
const JOINERS = ['', ' ', '\n', '\n\n'];
const HARD_CUT = 0;
const SPACE = 1;
/** The joiner of the pieces each separator level cuts: paragraphs, lines, sentences. */
const LEVEL_JOINERS = [3, 2, SPACE];
/** The level after the sentences: words. */
const WORDS = 3;

/** Breaks a trimmed, non-empty text into pieces no longer than `chunkSize`. */
export function findPieces(text: string, chunkSize: number): PieceList {
  const pieces = new Pieces(text.length);
  collectPieces(text, 0, text.length, chunkSize, 0, pieces);
  return pieces;
}

/**
 * Breaks text[from, to) (already trimmed) into pieces no longer than `chunkSize`: the largest
 * separator first, a smaller one only inside a part still too long. Each character is scanned
 * once per level, four at most.
 */
function collectPieces(
  text: string,
  from: number,
  to: number,
  chunkSize: number,
  level: number,
  out: Pieces,
): void {
  if (to - from <= chunkSize) return out.push(from, to, SPACE);
  if (level === WORDS) return collectWords(text, from, to, chunkSize, out);
  const scan = SEPARATOR_SCANNERS[level]!;
  const separator: Span = { start: 0, end: 0 };
  const part: Span = { start: 0, end: 0 };
  for (let at = from; at <= to; at = separator.end) {
    if (!scan(text, at, to, separator)) separator.start = separator.end = to + 1;
    part.start = at;
    part.end = Math.min(separator.start, to);
    trim(text, part);
    if (part.end === part.start) continue;
    if (part.end - part.start <= chunkSize) out.push(part.start, part.end, LEVEL_JOINERS[level]!);
    else collectPieces(text, part.start, part.end, chunkSize, level + 1, out);
  }
}

/**
 * The last level, `/\s+/`, as one loop rather than one scan per word: it is the level with the
 * most parts (half a million for a megabyte of `'a '`). A word longer than the chunk size (no
 * boundary left) is cut into fixed-size pieces.
 */
function collectWords(text: string, from: number, to: number, chunkSize: number, out: Pieces): void {
  let word = -1;
  for (let at = from; at <= to; at++) {
    if (at < to && !isSpace(text.charCodeAt(at))) {
      if (word === -1) word = at;
      continue;
    }
    if (word === -1) continue;
    if (at - word <= chunkSize) {
      out.push(word, at, SPACE);
    } else {
      for (let cut = word; cut < at; cut += chunkSize) out.push(cut, Math.min(cut + chunkSize, at), HARD_CUT);
    }
    word = -1;
  }
}

/**
 * Packs pieces greedily into chunks, carrying the tail of each chunk into the next as overlap.
 * The chunk being built is always a run of consecutive pieces, [start, end), whose joined length
 * is kept up to date as pieces enter and leave it: each piece enters once and leaves once.
 */
export function packChunks(text: string, pieces: PieceList, chunkSize: number, overlap: number): string[] {
  const { starts, ends, joiners, count } = pieces;
  const length = (i: number) => ends[i]! - starts[i]!;
  const joinerLength = (i: number) => JOINERS[joiners[i]!]!.length;
  const chunks: string[] = [];
  let start = 0;
  /** The joined length of pieces [start, end). */
  let size = 0;
  for (let end = 0; end < count; end++) {
    // The separator between the chunk so far and this piece: the joiner of its last piece.
    let gap = end > start ? joinerLength(end - 1) : 0;
    if (end > start && size + gap + length(end) > chunkSize) {
      chunks.push(join(text, pieces, start, end));
      // Keep whole trailing pieces that fit in the overlap and leave room for the next piece.
      while (end > start && (size > overlap || size + gap + length(end) > chunkSize)) {
        // Dropping the first piece drops its text and the separator after it (none if it was alone).
        size = end - start > 1 ? size - length(start) - joinerLength(start) : 0;
        start++;
        if (end === start) gap = 0;
      }
    }
    size += gap + length(end);
  }
  if (count > start) chunks.push(join(text, pieces, start, count));
  return chunks;
}

/**
 * Pieces [start, end) joined, each followed by its joiner except the last. Where the text between
 * two pieces already is their joiner (one space between words, one newline between lines), they
 * stay one slice of the text; a different separator (a tab, two spaces, a paragraph break between
 * words) is replaced by the joiner.
 */
function join(text: string, { starts, ends, joiners }: PieceList, start: number, end: number): string {
  const slices: string[] = [];
  let from = starts[start]!;
  for (let i = start; i < end - 1; i++) {
    const joiner = JOINERS[joiners[i]!]!;
    if (!text.startsWith(joiner, ends[i]) || starts[i + 1]! !== ends[i]! + joiner.length) {
      slices.push(text.slice(from, ends[i]), joiner);
      from = starts[i + 1]!;
    }
  }
  slices.push(text.slice(from, ends[end - 1]));
  return slices.length === 1 ? slices[0]! : slices.join('');
}
