import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { formatSummary } from '../src/cpu-profile.ts';
import { profileUploads } from '../src/upload-profile.ts';

// `pnpm bench:profile`: CPU profiles of the api and the task-runner while 8 PDFs of 1 MB go from
// upload to ready (after as many to warm up), as the bench README quotes them.
const OUT = fileURLToPath(new URL('../results/profiles', import.meta.url));
const WORK_DIR = fileURLToPath(new URL('../results/profile-run-uploads', import.meta.url));

it('profiles the api and the task-runner under PDF uploads', async () => {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const profiled = await profileUploads({
    documents: 8,
    clients: 4,
    pdfBytes: 1_000_000,
    outDir: OUT,
    workDir: WORK_DIR,
  });
  const cpu = Object.entries(profiled.cpuMsPerDocument)
    .map(([name, ms]) => `${name} ${ms.toFixed(0)}`)
    .join(', ');
  const text = profiled.profiles
    .map(
      ({ service, file, summary }) =>
        `## upload: ${service} (${profiled.documents} PDFs, ${profiled.documentsPerSecond.toFixed(2)} docs/s ` +
        `while sampled; CPU ms/doc: ${cpu})\n${file}\n${formatSummary(summary)}\n`,
    )
    .join('\n');
  writeFileSync(`${OUT}/summary.uploads.txt`, text);
  console.log(text);
  expect(profiled.documentsPerSecond).toBeGreaterThan(0);
});
