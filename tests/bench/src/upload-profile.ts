import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@repo/testing';
import { readProfile, summarizeProfile, type ProfileSummary } from './cpu-profile.ts';
import { uploadRound } from './upload-bench.ts';
import { benchPdfs, type CpuPerDocument } from './upload-files.ts';
import { startUploadStack } from './upload-stack.ts';

/**
 * Where an upload's time goes in the api and the task-runner: the share of samples with a matching
 * frame anywhere on the stack (nested ones overlap), matched against `function package path` as
 * cpu-profile.ts builds it. The conversion itself runs in worker threads, which the profiler (the
 * main thread's inspector) does not sample: its CPU is the converter baseline's, and the runner's
 * CPU per document (all threads, /proc) holds both.
 */
export const UPLOAD_SUSPECTS: Record<string, RegExp> = {
  'multipart parsing (@fastify/multipart, busboy)': / (@fastify\/multipart|@fastify\/busboy|busboy) /,
  'type sniffing (upload-inspector, detectDocumentKind)': /upload-inspector|document-types/,
  'conversion, main thread (convertFile: worker start, messages)':
    /conversion\/convert\.|worker_threads|internal\/worker/,
  'S3 client (@aws-sdk, @smithy)': / (@aws-sdk|@smithy)\//,
  'splitText (text-splitter, text-boundaries)': /text-splitter|text-boundaries/,
  'pg, pg-pool, pg-protocol, drizzle': / (pg|pg-pool|pg-protocol|drizzle-orm) /,
  'BullMQ, ioredis': / (bullmq|ioredis) /,
  'logging (pino, redaction, writes)': / (pino|@pinojs\/redact|sonic-boom) /,
  'socket writes (writev, writeUtf8String, writeBuffer)':
    /^(writev|writeUtf8String|writeBuffer|writeLatin1String|writeString) /,
  'garbage collection': /^\(garbage collector\)/,
  idle: /^\(idle\)/,
};

export interface UploadProfile {
  documents: number;
  /** While sampled (the profiler's own cost included). */
  documentsPerSecond: number;
  cpuMsPerDocument: CpuPerDocument;
  profiles: Array<{ service: 'api' | 'task-runner'; file: string; summary: ProfileSummary }>;
}

/**
 * The api and the task-runner (as `pnpm bench` runs them, plus the profiler preload) taking
 * `documents` PDF uploads twice: a warm-up round, then one sampled from the first byte to the last
 * document ready (profiler-preload.ts, switched by signal in both processes). The profiles are kept
 * in `outDir` as `upload.<service>.cpuprofile`.
 */
export async function profileUploads(options: {
  documents: number;
  clients: number;
  pdfBytes: number;
  outDir: string;
  workDir: string;
}): Promise<UploadProfile> {
  mkdirSync(options.outDir, { recursive: true });
  const stack = await startUploadStack({ workDir: options.workDir, profile: true });
  try {
    const round = (tag: string) =>
      uploadRound(stack, benchPdfs(options.documents, options.pdfBytes, tag), options.clients);
    await round('warm-up');
    stack.api.toggleProfile();
    stack.runner.service.toggleProfile();
    const { round: measured } = await round('profiled');
    stack.api.toggleProfile();
    stack.runner.service.toggleProfile();
    const profiles = [];
    for (const service of ['api', 'task-runner'] as const) {
      const written = join(options.workDir, 'profiles', service, '1.cpuprofile');
      await waitFor(() => existsSync(written), { timeoutMs: 30_000, what: `${written} to be written` });
      const file = join(options.outDir, `upload.${service}.cpuprofile`);
      renameSync(written, file);
      profiles.push({
        service,
        file,
        summary: summarizeProfile(readProfile(file), { top: 25, inclusive: UPLOAD_SUSPECTS }),
      });
    }
    return {
      documents: options.documents,
      documentsPerSecond: measured.documentsPerSecond,
      cpuMsPerDocument: measured.cpuMsPerDocument,
      profiles,
    };
  } finally {
    await stack.close();
  }
}
