import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { UPLOAD_SMOKE, UPLOAD_SUBJECTS, runUploadBench } from '../src/upload-bench.ts';
import { formatUploadResults } from '../src/upload-report.ts';

// The upload row with tiny counts: the api and the task-runner as processes (dist/) on the test S3
// server, real text PDFs (a quarter of the full run's size) through both baselines and the upload
// path, every document checked ready. Conversion takes seconds of CPU per file: a longer timeout.
it(
  'uploads PDFs to ready and measures them against an S3 PUT and the converter alone',
  { timeout: 300_000 },
  async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'bench-uploads-'));
    const results = await runUploadBench(UPLOAD_SMOKE, workDir);

    expect(results.rows.map((row) => row.name)).toEqual(Object.values(UPLOAD_SUBJECTS));
    for (const row of results.rows) {
      expect(row.rounds).toHaveLength(UPLOAD_SMOKE.rounds);
      expect(row.documentsPerSecond, row.name).toBeGreaterThan(0);
      expect(row.megabytesPerSecond, row.name).toBeGreaterThan(0);
      expect(Number.isFinite(row.ratio.documentsPerSecond.median), row.name).toBe(true);
      expect(row.ratio.documentsPerSecond.median, row.name).toBeGreaterThan(0);
    }
    const [storage, converter, upload] = results.rows;
    // The CPU of each process the round crossed, where it could be read: the processes always.
    expect(storage!.cpuMsPerDocument.bench).toBeGreaterThan(0);
    expect(converter!.cpuMsPerDocument.bench).toBeGreaterThan(0);
    expect(upload!.cpuMsPerDocument.api).toBeGreaterThan(0);
    expect(upload!.cpuMsPerDocument['task-runner']).toBeGreaterThan(0);
    expect(upload!.ratio.vsConverter!.median).toBeGreaterThan(0);
    expect(upload!.ratio.vsStorage!.median).toBeGreaterThan(0);
    // The path converts too, in the runner: it cannot cost less CPU than conversion alone by much.
    expect(upload!.ratio.cpuVsConverter!.median).toBeGreaterThan(0.5);
    // Files of the size asked for (~250 pages per MB), every one converted, uploaded, chunked, and
    // each chunk naming its page (a page holds ~4 kB of text: more than one 1,000-character chunk).
    expect(results.options.bytesPerDocument / UPLOAD_SMOKE.pdfBytes).toBeCloseTo(1, 0);
    expect(results.options.pagesPerDocument).toBeGreaterThan((UPLOAD_SMOKE.pdfBytes / 1e6) * 200);
    const documents = UPLOAD_SMOKE.documents * UPLOAD_SMOKE.rounds;
    expect(results.stored.documents).toBe(documents);
    expect(results.stored.chunks).toBeGreaterThan(documents * results.options.pagesPerDocument);
    expect(results.stored.chunksNamingAPage).toBe(results.stored.chunks);

    const text = formatUploadResults(results);
    for (const name of Object.values(UPLOAD_SUBJECTS)) expect(text).toContain(name);
    console.info(text);
  },
);
