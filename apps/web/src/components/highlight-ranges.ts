export interface TextPart {
  text: string;
  match: boolean;
}

/** Words of a web-search style query worth marking: quotes, `or` and excluded (`-word`) terms dropped. */
export function queryTerms(query: string): string[] {
  return query
    .split(/\s+/)
    .filter((word) => !word.startsWith('-'))
    .map((word) => word.replaceAll('"', '').trim())
    .filter((word) => word.length > 1 && word.toLowerCase() !== 'or');
}

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Splits `text` into parts that match a query term (case-insensitive, as a word prefix, so
 * "paragraph" marks "paragraphs" the way Postgres' stemming found it) and parts that do not.
 */
export function highlightRanges(text: string, query: string): TextPart[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return [{ text, match: false }];
  const pattern = new RegExp(`\\b(${terms.map(escape).join('|')})\\w*`, 'giu');
  const parts: TextPart[] = [];
  let last = 0;
  for (const found of text.matchAll(pattern)) {
    if (found.index > last) parts.push({ text: text.slice(last, found.index), match: false });
    parts.push({ text: found[0], match: true });
    last = found.index + found[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), match: false });
  return parts;
}
