import type { Spread } from './stats.ts';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  // First column left-aligned (names), the others right-aligned (numbers).
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

/** The median, and the range of the rounds' values when there was more than one round. */
export function spread(value: Spread, digits = 2, unit = 'x'): string {
  const median = `${fixed(value.median, digits)}${unit}`;
  return value.min === value.max
    ? median
    : `${median} (${fixed(value.min, digits)}–${fixed(value.max, digits)})`;
}
