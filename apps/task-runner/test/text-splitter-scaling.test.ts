import { afterEach, describe, expect, it } from 'vitest';
import { findPieces, packChunks, splitText, type PieceList } from '../src/ingestion/text-splitter.ts';
import { referenceSplitText } from './support/reference-splitter.ts';

// Linear without a clock: the splitter's work is counted, not timed. Every string and array
// operation a splitter can loop with is wrapped to count what it touches (one per call for
// character reads and searches, the array's length for whole-array methods such as reduce and
// shift), and the pieces' offset arrays count every element read. The count per character of
// input must stay under a constant for every input shape, size and chunk size. (The bench prints
// the times: `pnpm bench`.)

let operations = 0;
const originals: Array<() => void> = [];

function count<T extends object>(owner: T, name: keyof T & string, cost: (self: unknown) => number): void {
  const original = owner[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(owner, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      operations += cost(this);
      return original.apply(this, args);
    },
  });
  originals.push(() =>
    Object.defineProperty(owner, name, { configurable: true, writable: true, value: original }),
  );
}

function counting<T>(work: () => T): { result: T; operations: number } {
  operations = 0;
  const one = () => 1;
  const length = (self: unknown) => (self as unknown[]).length;
  for (const name of ['charCodeAt', 'indexOf', 'startsWith', 'slice', 'trim', 'split'] as const)
    count(String.prototype, name, one);
  for (const name of ['reduce', 'shift', 'map', 'filter', 'flatMap', 'slice', 'join'] as const)
    count(Array.prototype, name, length);
  count(Array.prototype, 'push', one);
  try {
    const result = work();
    return { result, operations };
  } finally {
    while (originals.length > 0) originals.pop()!();
  }
}

afterEach(() => {
  while (originals.length > 0) originals.pop()!();
});

/** The pieces, with every element read of their offset arrays counted. */
function countedReads(pieces: PieceList): PieceList {
  const counted = (array: ArrayLike<number>) =>
    new Proxy(array, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) operations++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  return {
    count: pieces.count,
    starts: counted(pieces.starts),
    ends: counted(pieces.ends),
    joiners: counted(pieces.joiners),
  };
}

/** Operations per character of input of the whole split: finding the pieces, then packing them. */
function operationsPerCharacter(text: string, chunkSize: number): number {
  const overlap = Math.floor(chunkSize * 0.15);
  const found = counting(() => findPieces(text, chunkSize));
  const packed = counting(() => packChunks(text, countedReads(found.result), chunkSize, overlap));
  expect(packed.result).toEqual(splitText(text, { chunkSize, overlap }));
  return (found.operations + packed.operations) / text.length;
}

const SHAPES: Record<string, string> = {
  prose: 'Prose explains one idea in a few sentences. It has a second one, and a third!\n\n',
  "'a ' repeated": 'a ',
  "'a\\n' repeated": 'a\n',
  "'a. ' repeated": 'a. ',
  "'ab' + no-break space": 'ab\u00a0',
  'one word': 'x',
  'paragraphs of one word': 'word\n\n',
  'mixed whitespace': 'ab \t\n cd\n\n  \n',
};
const fill = (unit: string, length: number) =>
  unit
    .repeat(Math.ceil(length / unit.length))
    .slice(0, length)
    .trim();

/**
 * No more than this many counted operations per character, whatever the input (measured: 0.2 for
 * prose, where whole paragraphs are found with one indexOf, up to 10 for `'a '` repeated).
 */
const PER_CHARACTER = 16;

describe('splitText scales linearly', () => {
  it.each(Object.entries(SHAPES))('%s: a bounded number of operations per character', (_, unit) => {
    for (const length of [20_000, 80_000]) {
      for (const chunkSize of [100, 1_000, 5_000]) {
        const perCharacter = operationsPerCharacter(fill(unit, length), chunkSize);
        expect(perCharacter, `${length} characters, chunks of ${chunkSize}`).toBeLessThanOrEqual(
          PER_CHARACTER,
        );
      }
    }
  });

  it('does the same work per character for 4x the text and for 50x the chunk size', () => {
    const text = fill('a ', 80_000);
    const base = operationsPerCharacter(fill('a ', 20_000), 100);
    expect(operationsPerCharacter(text, 100) / base).toBeCloseTo(1, 1);
    expect(operationsPerCharacter(text, 5_000) / base).toBeCloseTo(1, 0);
  });

  it('would catch the previous implementation: its work grew with the words per chunk', () => {
    // The same count on the splitter this one replaced (its size() reduce and shift per dropped word).
    const text = fill('a ', 20_000);
    const reference = (chunkSize: number) =>
      counting(() => referenceSplitText(text, { chunkSize, overlap: Math.floor(chunkSize * 0.15) }))
        .operations / text.length;
    // Measured: about 33, 285 and 1 226 per character for chunks of 100, 1 000 and 5 000.
    expect(reference(1_000)).toBeGreaterThan(PER_CHARACTER * 10);
    expect(reference(5_000)).toBeGreaterThan(reference(100) * 10);
  });
});
