/** A small seeded PRNG (mulberry32): generated test inputs are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Text made of the tokens the splitter treats specially: words of every length (one longer than
 * small chunk sizes), sentence punctuation, Unicode whitespace (`\s` is more than the space), line
 * and paragraph breaks in their Windows and whitespace-padded forms.
 */
const TOKENS = [
  'a',
  'bb',
  'word',
  'sentence',
  'x'.repeat(37),
  '.',
  '!',
  '?',
  '…',
  ',',
  'end.',
  'stop!',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\u00a0',
  '\u2003',
  '\u3000',
  '\ufeff',
  '\u2028',
  '\n',
  '\n',
  '\n\n',
  '\n \n',
  '\r\n',
  '\r',
  '\r\n\r\n',
  '\n\t\n\n',
  '. ',
  '.\n',
];

export function generatedText(random: () => number, tokens: number): string {
  let text = '';
  for (let i = 0; i < tokens; i++) text += TOKENS[Math.floor(random() * TOKENS.length)]!;
  return text;
}
