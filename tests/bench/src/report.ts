import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchResults } from './harness.ts';
import type { Spread } from './stats.ts';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  // First column left-aligned (names), the others right-aligned (numbers).
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The median ratio, and the range of the rounds' ratios when there was more than one round. */
function ratio(value: Spread, baseline: boolean): string {
  if (baseline) return 'baseline';
  const median = `${fixed(value.median, 2)}x`;
  return value.min === value.max ? median : `${median} (${fixed(value.min, 2)}–${fixed(value.max, 2)})`;
}

/** The results as a person reads them: one table per comparison, ratios next to the raw numbers. */
export function formatResults(results: BenchResults): string {
  const { http, queue } = results.options;
  const httpTable = table(
    ['HTTP', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'req/s ratio', 'p50 ratio', 'p99 ratio'],
    results.http.map((row) => [
      row.name,
      fixed(row.result.requestsPerSecond, 0),
      fixed(row.result.latencyMs.p50, 2),
      fixed(row.result.latencyMs.p99, 2),
      String(row.result.non2xx),
      String(row.result.errors),
      ratio(row.ratio.requestsPerSecond, row.baseline),
      ratio(row.ratio.latencyP50, row.baseline),
      ratio(row.ratio.latencyP99, row.baseline),
    ]),
  );
  const queueTable = table(
    ['Queue', 'jobs', 'concurrency', 'jobs/s', 'jobs/s ratio'],
    results.queue.map((row) => [
      row.name,
      `${row.result.rounds.length} × ${row.result.jobs}`,
      String(row.result.concurrency),
      fixed(row.result.jobsPerSecond, 0),
      ratio(row.ratio.jobsPerSecond, row.baseline),
    ]),
  );
  const { machine } = results;
  return [
    `Keelson benchmark, ${results.startedAt} — node ${machine.node}, ${machine.cpus} cpus (${machine.cpuModel}), ` +
      `load average ${fixed(machine.loadAverage.before, 2)} before, ${fixed(machine.loadAverage.after, 2)} after`,
    '',
    `HTTP: ${http.connections} connections; each target warmed up ${http.warmupS} s, then loaded ${http.durationS} s ` +
      `in ${http.rounds} rounds taken in turn. Ratio = api ÷ bare Fastify of the same round: median (min–max).`,
    httpTable,
    '',
    `Queue: ${queue.rounds} rounds of ${queue.jobs} jobs each, queued while paused, timed from resume to the last ` +
      `completion. Ratio = ingest ÷ no-op of the same round: median (min–max).`,
    queueTable,
  ].join('\n');
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
