import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { UPLOAD_RUN, runUploadBench } from '../src/upload-bench.ts';
import { formatUploadResults } from '../src/upload-report.ts';

// `pnpm bench`: upload-to-ready throughput of 1 MB PDFs through the api and the task-runner, against
// an S3 PUT of the same bytes and the runner's converter alone, measured in the same rounds.
const RESULTS = fileURLToPath(new URL('../results/uploads.json', import.meta.url));
// The services' logs of the last run (git-ignored with results/).
const WORK_DIR = fileURLToPath(new URL('../results/last-run-uploads', import.meta.url));

it('measures upload-to-ready throughput of PDFs against storage and conversion alone', async () => {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const results = await runUploadBench(UPLOAD_RUN, WORK_DIR);
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`${formatUploadResults(results)}\n\nJSON: ${RESULTS}\nlogs: ${WORK_DIR}/logs`);
  for (const row of results.rows) expect(row.documentsPerSecond, row.name).toBeGreaterThan(0);
});
