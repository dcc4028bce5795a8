/**
 * The splitter as it was before it was made linear (src/ingestion/text-splitter.ts): strings and
 * `String.prototype.split` at every level, and the chunk's length re-added for every piece it
 * dropped, which made it quadratic in words per chunk. Kept as the specification the linear one
 * must match, output for output, on generated text (test/text-splitter.test.ts).
 */
const SEPARATORS: readonly RegExp[] = [
  /\n\s*\n/, // paragraphs
  /\n/, // lines
  /(?<=[.!?…])\s+/, // sentences (keeps the punctuation with its sentence)
  /\s+/, // words
];

export function referenceSplitText(
  text: string,
  { chunkSize, overlap }: { chunkSize: number; overlap: number },
): string[] {
  if (chunkSize < 1) throw new RangeError('chunkSize must be at least 1');
  if (overlap < 0 || overlap >= chunkSize) throw new RangeError('overlap must be in [0, chunkSize)');
  const normalized = text.replace(/\r\n?/g, '\n').trim();
  if (normalized === '') return [];
  return merge(pieces(normalized, chunkSize, 0), chunkSize, overlap);
}

/** Breaks text into pieces no longer than `chunkSize`, each tagged with the separator that follows it. */
function pieces(text: string, chunkSize: number, level: number): { text: string; joiner: string }[] {
  if (text.length <= chunkSize) return [{ text, joiner: ' ' }];
  const separator = SEPARATORS[level];
  if (!separator) {
    // No boundary left (one enormous "word"): cut it into fixed-size pieces.
    const out: { text: string; joiner: string }[] = [];
    for (let i = 0; i < text.length; i += chunkSize)
      out.push({ text: text.slice(i, i + chunkSize), joiner: '' });
    return out;
  }
  const joiner = level === 0 ? '\n\n' : level === 1 ? '\n' : ' ';
  return text
    .split(separator)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .flatMap((part) =>
      part.length <= chunkSize ? [{ text: part, joiner }] : pieces(part, chunkSize, level + 1),
    );
}

/** Packs pieces greedily into chunks, carrying the tail of each chunk into the next as overlap. */
function merge(parts: { text: string; joiner: string }[], chunkSize: number, overlap: number): string[] {
  const chunks: string[] = [];
  const current: { text: string; joiner: string }[] = [];
  let length = 0;
  const size = (list: typeof current) =>
    list.reduce((sum, part, i) => sum + part.text.length + (i > 0 ? list[i - 1]!.joiner.length : 0), 0);

  for (const part of parts) {
    const added = part.text.length + joinerOf(current);
    if (current.length > 0 && length + added > chunkSize) {
      chunks.push(join(current));
      // Keep whole trailing pieces that fit in the overlap and leave room for the next piece.
      while (
        current.length > 0 &&
        (size(current) > overlap || size(current) + joinerOf(current) + part.text.length > chunkSize)
      ) {
        current.shift();
      }
      length = size(current);
    }
    length += part.text.length + joinerOf(current);
    current.push(part);
  }
  if (current.length > 0) chunks.push(join(current));
  return chunks;
}

/** The separator length between the pieces so far and the next one. */
function joinerOf(list: { joiner: string }[]): number {
  return list.length > 0 ? list[list.length - 1]!.joiner.length : 0;
}

function join(parts: { text: string; joiner: string }[]): string {
  return parts.map((part, i) => (i < parts.length - 1 ? part.text + part.joiner : part.text)).join('');
}
