import { describe, expect, it } from 'vitest';
import { pairedDifferences, pairedRatios, percentile, spread } from '../src/stats.ts';

describe('percentile', () => {
  it('is the nearest rank of sorted values', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('spread', () => {
  it('gives the median (mean of the middle two when even), min and max, in any order', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
  });
});

describe('pairedRatios', () => {
  it('divides each round by the baseline of the same round, not by a pooled baseline', () => {
    // A noisy machine: round 2 ran at half speed for both; the ratio stays 0.5 in every round.
    expect(pairedRatios([50, 25, 50], [100, 50, 100])).toEqual({ median: 0.5, min: 0.5, max: 0.5 });
  });
});

describe('pairedDifferences', () => {
  it('subtracts the baseline of the same round from each round', () => {
    expect(pairedDifferences([12, 30, 14], [2, 18, 3])).toEqual({ median: 11, min: 10, max: 12 });
  });
});
