import { describe, expect, it } from 'vitest';
import { splitText } from '../src/ingestion/text-splitter.ts';
import { generatedText, seededRandom } from './support/generated-text.ts';
import { referenceSplitText } from './support/reference-splitter.ts';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** Every word of the input appears in the chunks, in order; a chunk may only repeat words of the previous one. */
function expectCoversInOrder(input: string, chunks: string[]) {
  const source = words(input);
  let position = 0;
  for (const chunk of chunks) {
    const chunkWords = words(chunk);
    let start = -1;
    for (let i = Math.max(0, position - chunkWords.length); i <= position; i++) {
      if (source.slice(i, i + chunkWords.length).join(' ') === chunkWords.join(' ')) {
        start = i;
        break;
      }
    }
    expect(start, `chunk not found in order: ${chunk.slice(0, 60)}`).toBeGreaterThanOrEqual(0);
    position = start + chunkWords.length;
  }
  expect(position).toBe(source.length);
}

describe('splitText', () => {
  it('returns nothing for blank text and one chunk for short text', () => {
    expect(splitText('  \n\n ', { chunkSize: 100, overlap: 10 })).toEqual([]);
    expect(splitText('  A short note.  ', { chunkSize: 100, overlap: 10 })).toEqual(['A short note.']);
  });

  it('keeps paragraphs whole when they fit, packing several into one chunk', () => {
    const text = 'Alpha one.\n\nBeta two.\n\nGamma three is longer than the others.';
    expect(splitText(text, { chunkSize: 25, overlap: 0 })).toEqual([
      'Alpha one.\n\nBeta two.',
      'Gamma three is longer',
      'than the others.',
    ]);
  });

  it('cuts an over-long paragraph at sentence boundaries before word boundaries', () => {
    const text = 'First sentence here. Second sentence here. Third sentence here.';
    expect(splitText(text, { chunkSize: 45, overlap: 0 })).toEqual([
      'First sentence here. Second sentence here.',
      'Third sentence here.',
    ]);
  });

  it('never exceeds the chunk size, and covers the text in order', () => {
    const paragraph = (n: number) =>
      Array.from({ length: 8 }, (_, i) => `Sentence ${i} of paragraph ${n} talks about topic ${n * i}.`).join(
        ' ',
      );
    const text = Array.from({ length: 12 }, (_, n) => paragraph(n)).join('\n\n');
    for (const [chunkSize, overlap] of [
      [200, 0],
      [200, 50],
      [500, 120],
      [80, 20],
    ] as const) {
      const chunks = splitText(text, { chunkSize, overlap });
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(chunkSize);
      expectCoversInOrder(text, chunks);
    }
  });

  it('starts each chunk with the tail of the previous one when overlap is set', () => {
    const text = Array.from({ length: 30 }, (_, i) => `Fact number ${i} is true.`).join(' ');
    const chunks = splitText(text, { chunkSize: 120, overlap: 40 });
    for (let i = 1; i < chunks.length; i++) {
      const firstSentence = chunks[i]!.match(/^[^.]*\./)?.[0];
      expect(chunks[i - 1]).toContain(firstSentence);
    }
    expect(splitText(text, { chunkSize: 120, overlap: 0 }).length).toBeLessThan(chunks.length);
  });

  it('hard-cuts a single word longer than the chunk size', () => {
    const chunks = splitText('x'.repeat(25), { chunkSize: 10, overlap: 0 });
    expect(chunks).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('normalizes Windows line endings', () => {
    expect(splitText('One.\r\n\r\nTwo.', { chunkSize: 4, overlap: 0 })).toEqual(['One.', 'Two.']);
  });

  it('gives exactly the chunks of the previous (quadratic) implementation, on generated text', () => {
    const random = seededRandom(13);
    for (let i = 0; i < 3_000; i++) {
      const text = generatedText(random, 1 + Math.floor(random() * 120));
      const chunkSize = 1 + Math.floor(random() * 80);
      const overlap = Math.floor(random() * chunkSize);
      expect(splitText(text, { chunkSize, overlap }), JSON.stringify({ text, chunkSize, overlap })).toEqual(
        referenceSplitText(text, { chunkSize, overlap }),
      );
    }
  });

  it('rejects impossible options', () => {
    expect(() => splitText('x', { chunkSize: 0, overlap: 0 })).toThrow(RangeError);
    expect(() => splitText('x', { chunkSize: 10, overlap: 10 })).toThrow(RangeError);
  });
});
