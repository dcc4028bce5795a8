/** Nearest-rank percentile of ascending values; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A ratio over the rounds of a run: the median is the number, min–max how much the rounds agreed. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Each round's subject ÷ the baseline's value of the same round (paired: measured next to each other). */
export function pairedRatios(subject: readonly number[], baseline: readonly number[]): Spread {
  return spread(subject.map((value, round) => value / baseline[round]!));
}

/** Each round's subject − the baseline's value of the same round (e.g. milliseconds a layer adds). */
export function pairedDifferences(subject: readonly number[], baseline: readonly number[]): Spread {
  return spread(subject.map((value, round) => value - baseline[round]!));
}
