import { describe, expect, it } from 'vitest';
import { isSpace, SEPARATOR_SCANNERS, type Span } from '../src/ingestion/text-boundaries.ts';
import { generatedText, seededRandom } from './support/generated-text.ts';

/** The parts `split` would leave between the separators a scanner finds. */
function partsBetween(text: string, level: number): string[] {
  const parts: string[] = [];
  const separator: Span = { start: 0, end: 0 };
  let at = 0;
  while (SEPARATOR_SCANNERS[level]!(text, at, text.length, separator)) {
    parts.push(text.slice(at, separator.start));
    at = separator.end;
  }
  parts.push(text.slice(at));
  return parts;
}

const REGEXES = [/\n\s*\n/, /\n/, /(?<=[.!?…])\s+/];

describe('isSpace', () => {
  it('is exactly what \\s matches and trim() removes, for every UTF-16 code unit', () => {
    const disagree: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      if (isSpace(code) !== /\s/.test(char) || isSpace(code) !== (char.trim() === '')) {
        disagree.push(code.toString(16));
      }
    }
    expect(disagree).toEqual([]);
  });
});

describe('the separator scanners', () => {
  it.each([0, 1, 2])('find what split(%s) splits at, on generated text', (level) => {
    const random = seededRandom(level + 1);
    for (let i = 0; i < 500; i++) {
      const text = generatedText(random, 1 + Math.floor(random() * 60));
      expect(partsBetween(text, level), JSON.stringify(text)).toEqual(text.split(REGEXES[level]!));
    }
  });

  it('search only the range they are given: a look-behind never sees before it', () => {
    const separator: Span = { start: 0, end: 0 };
    // "a." ends a sentence, but the range starts at the space after it.
    expect(SEPARATOR_SCANNERS[2]!('a. b. c', 2, 7, separator)).toBe(true);
    expect(separator).toEqual({ start: 5, end: 6 });
    expect(SEPARATOR_SCANNERS[1]!('a\nb', 0, 1, separator)).toBe(false);
    expect(SEPARATOR_SCANNERS[0]!('a\n\nb', 0, 2, separator)).toBe(false);
  });
});
