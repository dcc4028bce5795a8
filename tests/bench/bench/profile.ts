import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { startApiStack } from '../src/api-stack.ts';
import { formatSummary } from '../src/cpu-profile.ts';
import { profileIngestion } from '../src/ingest-profile.ts';
import { profile, profileScenarios } from '../src/profile-run.ts';

// `pnpm bench:profile`: CPU profiles of the api (and the agent, for turns) under each load, 10 s
// each after a warm-up, and of the task-runner over 1,000 ingestions after as many to warm up, as
// the bench README quotes them. Profiles and summaries go to results/.
const OUT = fileURLToPath(new URL('../results/profiles', import.meta.url));
const WORK_DIR = fileURLToPath(new URL('../results/profile-run', import.meta.url));

it('profiles the api and the agent under each load', async () => {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const stack = await startApiStack({ documents: 50, conversations: 400, workDir: WORK_DIR, profile: true });
  try {
    const profiled = await profile(stack, profileScenarios(stack), {
      durationS: 10,
      warmupS: 2,
      outDir: OUT,
    });
    const text = profiled
      .flatMap((scenario) =>
        scenario.profiles.map(
          ({ service, file, summary }) =>
            `## ${scenario.name}: ${service} (${scenario.connections} connections, ` +
            `${scenario.requestsPerSecond.toFixed(0)} req/s while sampled)\n${file}\n${formatSummary(summary)}\n`,
        ),
      )
      .join('\n');
    writeFileSync(`${OUT}/summary.txt`, text);
    console.log(text);
    expect(profiled.every((scenario) => scenario.requestsPerSecond > 0)).toBe(true);
  } finally {
    await stack.close();
  }
});

it('profiles the task-runner under ingestion', async () => {
  const workDir = `${WORK_DIR}-task-runner`;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const profiled = await profileIngestion({ jobs: 1_000, outDir: OUT, workDir });
  const text =
    `## ingest: task-runner (${profiled.jobs} ingest-document jobs, ${profiled.jobsPerSecond.toFixed(0)} jobs/s ` +
    `and ${profiled.cpuMsPerJob.process?.toFixed(2) ?? '?'} CPU ms/job while sampled)\n${profiled.file}\n` +
    `${formatSummary(profiled.summary)}\n`;
  writeFileSync(`${OUT}/summary.task-runner.txt`, text);
  console.log(text);
  expect(profiled.jobsPerSecond).toBeGreaterThan(0);
});
