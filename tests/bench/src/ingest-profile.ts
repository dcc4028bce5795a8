import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@repo/testing';
import { inject } from 'vitest';
import { documentText } from '../../../apps/task-runner/test/support/test-stack.ts';
import { processCpu, type CpuPerJob } from './cpu-meter.ts';
import { readProfile, summarizeProfile, type ProfileSummary } from './cpu-profile.ts';
import { drain } from './queue-drain.ts';
import { startRunnerTarget } from './runner-target.ts';

/**
 * Where an ingestion's time goes, by the suspects issue 13 names for the task-runner: each is the
 * share of samples with a matching frame anywhere on the stack (nested ones overlap). Matched
 * against `function package path` as cpu-profile.ts builds it.
 */
export const RUNNER_SUSPECTS: Record<string, RegExp> = {
  'BullMQ (fetch, lock, complete; its ioredis calls)': / bullmq /,
  'ioredis (any command)': / ioredis /,
  'pg, pg-pool, pg-protocol': / (pg|pg-pool|pg-protocol) /,
  'drizzle (query building, row mapping)': / drizzle-orm /,
  'job logging (pino, redaction, writes)': / (pino|@pinojs\/redact|sonic-boom) /,
  'payload validation (zod)': / zod /,
  'metrics (prom-client)': / prom-client /,
  'splitText (text-splitter, text-boundaries)': /text-splitter|text-boundaries/,
  'module resolution (package_json_reader, resolve)': /package_json_reader|esm\/resolve|modules\/cjs\/loader/,
  'socket writes (writev, writeUtf8String, writeBuffer)':
    /^(writev|writeUtf8String|writeBuffer|writeLatin1String|writeString) /,
  'garbage collection': /^\(garbage collector\)/,
  'idle (waiting for Postgres, Redis)': /^\(idle\)/,
};

export interface IngestProfile {
  jobs: number;
  /** While sampled (the profiler's own cost included). */
  jobsPerSecond: number;
  cpuMsPerJob: CpuPerJob;
  file: string;
  summary: ProfileSummary;
}

/**
 * The task-runner (as `pnpm bench` runs it, plus the profiler preload) ingesting `jobs` small
 * documents twice: a warm-up round, then a round sampled from the resume to the last completion
 * (profiler-preload.ts, switched on and off by signal). The profile is kept in `outDir` as
 * `ingest.task-runner.cpuprofile`.
 */
export async function profileIngestion(options: {
  jobs: number;
  outDir: string;
  workDir: string;
}): Promise<IngestProfile> {
  mkdirSync(options.outDir, { recursive: true });
  const profileDir = join(options.workDir, 'profiles', 'task-runner');
  mkdirSync(profileDir, { recursive: true });
  // The runner's log file is opened there (processes.ts does not create the folder).
  const logDir = join(options.workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const target = await startRunnerTarget({
    serverUrl: inject('databaseUrl'),
    redisUrl: inject('redisUrl'),
    logDir,
    profileDir,
  });
  try {
    const content = documentText(10, 'bench');
    // The runner's CPU only: the containers' are not what this run is about.
    const none = () => undefined;
    const clocks = { process: processCpu(target.service.pid), postgres: none, redis: none };
    const round = async (profiled: boolean) => {
      await target.queue.pause();
      await target.enqueue(await target.insertDocuments(options.jobs, content));
      if (profiled) target.service.toggleProfile();
      const measured = await drain(target.queue, options.jobs, clocks);
      if (profiled) target.service.toggleProfile();
      return measured;
    };
    await round(false);
    const measured = await round(true);
    const written = join(profileDir, '1.cpuprofile');
    await waitFor(() => existsSync(written), { timeoutMs: 30_000, what: `${written} to be written` });
    const file = join(options.outDir, 'ingest.task-runner.cpuprofile');
    renameSync(written, file);
    return {
      jobs: options.jobs,
      jobsPerSecond: measured.jobsPerSecond,
      cpuMsPerJob: measured.cpuMsPerJob,
      file,
      summary: summarizeProfile(readProfile(file), { top: 25, inclusive: RUNNER_SUSPECTS }),
    };
  } finally {
    await target.close();
  }
}
