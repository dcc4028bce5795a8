import { fixed, spread, table } from './table.ts';
import type { UploadResults } from './upload-bench.ts';

/** The CPU columns, in the order an upload crosses them; the baselines run in the bench's process. */
const CPU_COLUMNS = ['bench', 'api', 'task-runner', 'postgres', 'redis', 's3'] as const;

const cpu = (value: number | undefined) => (value === undefined ? '' : fixed(value, 0));

/** The upload row and its baselines as a person reads them: rates, ratios, CPU ms per document. */
export function formatUploadResults(results: UploadResults): string {
  const { options, machine, stored } = results;
  const rows = results.rows.map((row) => [
    row.name,
    fixed(row.documentsPerSecond, 2),
    fixed(row.megabytesPerSecond, 2),
    row.baseline ? '' : spread(row.ratio.documentsPerSecond),
    row.ratio.vsConverter ? spread(row.ratio.vsConverter) : '',
    row.ratio.vsStorage ? spread(row.ratio.vsStorage) : '',
    row.ratio.cpuVsConverter ? spread(row.ratio.cpuVsConverter) : '',
    ...CPU_COLUMNS.map((name) => cpu(row.cpuMsPerDocument[name])),
  ]);
  return [
    `Uploads: ${options.documents} PDFs of ${(options.bytesPerDocument / 1e6).toFixed(2)} MB ` +
      `(${options.pagesPerDocument.toFixed(0)} pages) × ${options.rounds} rounds, ${options.clients} clients, ` +
      `${options.convertConcurrency} conversions at once; ${machine.cpus} CPUs, load ` +
      `${machine.loadBefore.toFixed(1)} → ${machine.loadAfter.toFixed(1)}`,
    table(
      [
        'subject',
        'docs/s',
        'MB/s',
        '÷ lower baseline',
        '÷ converter',
        '÷ S3 PUT',
        'CPU/doc ÷ converter',
        ...CPU_COLUMNS.map((name) => `${name} CPU ms/doc`),
      ],
      rows,
    ),
    `stored: ${stored.documents} documents ready, ${stored.chunks} chunks, ${stored.chunksNamingAPage} naming their page`,
  ].join('\n');
}
