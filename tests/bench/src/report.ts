import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchResults } from './harness.ts';
import { formatQueue } from './queue-report.ts';
import { fixed, ratio, table } from './table.ts';

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
  const { machine } = results;
  return [
    `Keelson benchmark, ${results.startedAt} — node ${machine.node}, ${machine.cpus} cpus (${machine.cpuModel}), ` +
      `load average ${fixed(machine.loadAverage.before, 2)} before, ${fixed(machine.loadAverage.after, 2)} after`,
    '',
    `HTTP: ${http.connections} connections; each target warmed up ${http.warmupS} s, then loaded ${http.durationS} s ` +
      `in ${http.rounds} rounds taken in turn. Ratio = api ÷ bare Fastify of the same round: median (min–max).`,
    httpTable,
    '',
    formatQueue(results.queue, queue),
  ].join('\n');
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
