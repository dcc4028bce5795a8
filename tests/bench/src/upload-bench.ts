import { Readable } from 'node:stream';
import { cpus, loadavg } from 'node:os';
import { chunks, documents, tasks } from '@repo/db';
import { waitFor } from '@repo/testing';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { convertFile, type ConversionLimits } from '../../../apps/task-runner/src/conversion/convert.ts';
import { ownCpu } from './cpu-meter.ts';
import {
  benchPdfs,
  meanPerKey,
  startCpuPerDocument,
  uploadPdf,
  type BenchPdf,
  type CpuPerDocument,
} from './upload-files.ts';
import { eachParallel } from './runner-target.ts';
import { pairedRatios, type Spread } from './stats.ts';
import { startUploadStack, type UploadStack } from './upload-stack.ts';

export interface UploadLoad {
  /** PDFs per round, each through every subject. */
  documents: number;
  /** Rounds of the baselines and the subject in turn. */
  rounds: number;
  /** Uploads (and S3 PUTs) in flight at once. */
  clients: number;
  /** Size of each PDF. */
  pdfBytes: number;
}

export const UPLOAD_RUN: UploadLoad = { documents: 8, rounds: 3, clients: 4, pdfBytes: 1_000_000 };
// The smoke test's files are a quarter of the size: conversion is most of a round, and CI's time is shared.
export const UPLOAD_SMOKE: UploadLoad = { documents: 2, rounds: 1, clients: 2, pdfBytes: 250_000 };

export const UPLOAD_SUBJECTS = {
  storage: 'S3 PUT of the same bytes (the apps’ client)',
  converter: 'converter alone (convertFile, in-process)',
  upload: 'upload → ready (api + task-runner)',
} as const;

export interface UploadRound {
  /** From the first byte sent to the last response (PUT), conversion or document ready. */
  elapsedMs: number;
  documentsPerSecond: number;
  megabytesPerSecond: number;
  /** CPU ms per document of each process that could be read (see upload-stack.ts). */
  cpuMsPerDocument: CpuPerDocument;
}

export interface UploadRow {
  name: string;
  baseline: boolean;
  /** Every round's documents over their total time. */
  documentsPerSecond: number;
  megabytesPerSecond: number;
  /** The rounds' CPU ms per document, averaged. */
  cpuMsPerDocument: CpuPerDocument;
  rounds: UploadRound[];
  /**
   * Round by round: a baseline ÷ itself (1); upload → ready ÷ the lower of the two baselines of
   * the same round (the nearer limit), and ÷ each of them.
   */
  ratio: {
    documentsPerSecond: Spread;
    vsConverter?: Spread;
    vsStorage?: Spread;
    /**
     * The CPU ms per document of every process the upload crossed (summed) ÷ the converter's own,
     * round by round: what the path costs beyond conversion, which unlike a rate holds when other
     * work takes the cores (on a saturated machine a path of more threads also gets more of them).
     */
    cpuVsConverter?: Spread;
  };
}

export interface UploadResults {
  machine: { node: string; cpus: number; loadBefore: number; loadAfter: number };
  options: UploadLoad & {
    /** The PDFs' actual mean size and pages (sections the converter found). */
    bytesPerDocument: number;
    pagesPerDocument: number;
    /** The runner's CONVERT_CONCURRENCY: conversions at once, in the runner and the baseline. */
    convertConcurrency: number;
  };
  rows: UploadRow[];
  /** What the uploads left in the database: every one ready, chunked, each chunk naming its page. */
  stored: { documents: number; chunks: number; chunksNamingAPage: number };
}

const MB = 1_000_000;

function measured(pdfs: readonly BenchPdf[], elapsedMs: number, cpu: CpuPerDocument): UploadRound {
  const bytes = pdfs.reduce((sum, pdf) => sum + pdf.bytes.length, 0);
  const ms = Math.max(1, elapsedMs);
  return {
    elapsedMs: ms,
    documentsPerSecond: (pdfs.length * 1_000) / ms,
    megabytesPerSecond: (bytes / MB) * (1_000 / ms),
    cpuMsPerDocument: cpu,
  };
}

/** The first baseline: the same bytes PUT to the same bucket, `clients` at a time. */
async function storageRound(stack: UploadStack, pdfs: readonly BenchPdf[], clients: number, round: number) {
  const cpu = startCpuPerDocument({ bench: ownCpu, s3: stack.clocks.s3 });
  const started = performance.now();
  await eachParallel(pdfs, clients, (pdf) =>
    stack.storage.upload(`bench-put/${round}/${pdf.name}`, Readable.from(pdf.bytes), {
      contentType: 'application/pdf',
    }),
  );
  return measured(pdfs, performance.now() - started, cpu(pdfs.length));
}

/**
 * The second baseline: the runner's own conversion (worker thread per file, its limits) run here,
 * on the same files, as many at once as the runner converts (CONVERT_CONCURRENCY). Returns the
 * sections (pages with text) it found per file, all of which must have some.
 */
async function converterRound(pdfs: readonly BenchPdf[], limits: ConversionLimits, concurrency: number) {
  const cpu = startCpuPerDocument({ bench: ownCpu });
  const pages: number[] = [];
  const started = performance.now();
  await eachParallel(pdfs, concurrency, async (pdf) => {
    const { kind, sections } = await convertFile(pdf.bytes, limits);
    if (kind !== 'pdf' || sections.length === 0) throw new Error(`${pdf.name}: ${kind}, no text`);
    pages.push(sections.length);
  });
  return { round: measured(pdfs, performance.now() - started, cpu(pdfs.length)), pages };
}

/**
 * Waits until every document is ready (a failed one fails the run, with its error) and returns
 * when the last became ready: its `updated_at`, which the runner sets from its own clock as it
 * stores the chunks (ingest-document.ts), so the polling interval does not blur the end.
 */
async function readyAt(stack: UploadStack, ids: readonly string[]): Promise<number> {
  const rows = await waitFor(
    async () => {
      const found = await stack.runner.db
        .select({
          id: documents.id,
          status: documents.status,
          error: documents.error,
          updatedAt: documents.updatedAt,
        })
        .from(documents)
        .where(inArray(documents.id, [...ids]));
      const failed = found.find((row) => row.status === 'failed');
      if (failed) throw new Error(`document ${failed.id} failed: ${failed.error}`);
      return found.length === ids.length && found.every((row) => row.status === 'ready') ? found : undefined;
    },
    // The end is read from the rows, so a slow poll costs no precision; a fast one would add its
    // own queries to Postgres's CPU per document.
    { timeoutMs: 300_000, intervalMs: 200, what: `${ids.length} uploaded documents to be ready` },
  );
  return Math.max(...rows.map((row) => row.updatedAt.getTime()));
}

/** The subject: each file uploaded through the api, `clients` at a time, until all are ready. */
export async function uploadRound(stack: UploadStack, pdfs: readonly BenchPdf[], clients: number) {
  const cpu = startCpuPerDocument(stack.clocks);
  const ids: string[] = [];
  // Date.now(), not performance.now(): the end is the runner's wall clock (same machine).
  const started = Date.now();
  await eachParallel(pdfs, clients, async (pdf) => {
    ids.push(await uploadPdf(stack.api.origin, stack.auth, pdf));
  });
  const last = await readyAt(stack, ids);
  return { round: measured(pdfs, last - started, cpu(pdfs.length)), ids };
}

function row(name: string, baseline: boolean, rounds: UploadRound[], ratio: UploadRow['ratio']): UploadRow {
  const totalMs = rounds.reduce((sum, round) => sum + round.elapsedMs, 0);
  const documentsTotal = rounds.reduce(
    (sum, round) => sum + (round.documentsPerSecond * round.elapsedMs) / 1_000,
    0,
  );
  const megabytesTotal = rounds.reduce(
    (sum, round) => sum + (round.megabytesPerSecond * round.elapsedMs) / 1_000,
    0,
  );
  return {
    name,
    baseline,
    documentsPerSecond: (documentsTotal * 1_000) / totalMs,
    megabytesPerSecond: (megabytesTotal * 1_000) / totalMs,
    cpuMsPerDocument: meanPerKey(rounds.map((round) => round.cpuMsPerDocument)),
    rounds,
    ratio,
  };
}

/** CPU ms per document of a round, summed over the processes it could read. */
const totalCpu = (round: UploadRound) =>
  Object.values(round.cpuMsPerDocument).reduce((sum, value) => sum + value, 0);

/** The three rows, with upload → ready's ratios taken round by round. */
export function uploadRows(
  storage: UploadRound[],
  converter: UploadRound[],
  upload: UploadRound[],
): UploadRow[] {
  const rate = (rounds: UploadRound[]) => rounds.map((round) => round.documentsPerSecond);
  const lower = rate(storage).map((value, i) => Math.min(value, rate(converter)[i]!));
  const itself = (rounds: UploadRound[]) => ({
    documentsPerSecond: pairedRatios(rate(rounds), rate(rounds)),
  });
  return [
    row(UPLOAD_SUBJECTS.storage, true, storage, itself(storage)),
    row(UPLOAD_SUBJECTS.converter, true, converter, itself(converter)),
    row(UPLOAD_SUBJECTS.upload, false, upload, {
      documentsPerSecond: pairedRatios(rate(upload), lower),
      vsConverter: pairedRatios(rate(upload), rate(converter)),
      vsStorage: pairedRatios(rate(upload), rate(storage)),
      cpuVsConverter: pairedRatios(upload.map(totalCpu), converter.map(totalCpu)),
    }),
  ];
}

/**
 * Upload-to-ready throughput of PDFs through the api and the task-runner (as their images run
 * them, on the test S3 server), against what storage alone and conversion alone do with the same
 * files in the same rounds: each round PUTs, converts, then uploads a fresh set of `documents`
 * distinct PDFs. One untimed file through each first (JIT, connections). After the rounds every
 * uploaded document must be ready with chunks naming their pages, and its task succeeded.
 */
export async function runUploadBench(load: UploadLoad, workDir: string): Promise<UploadResults> {
  const loadBefore = loadavg()[0]!;
  const stack = await startUploadStack({ workDir });
  try {
    const { config } = stack.runner;
    const limits: ConversionLimits = {
      timeoutMs: config.CONVERT_TIMEOUT_MS,
      memoryMb: config.CONVERT_MEMORY_MB,
      maxUnzippedBytes: config.CONVERT_MAX_UNZIPPED_BYTES,
    };
    const [warm] = benchPdfs(1, load.pdfBytes, 'warm-up');
    await storageRound(stack, [warm!], 1, -1);
    await converterRound([warm!], limits, 1);
    await uploadRound(stack, [warm!], 1);

    const storage: UploadRound[] = [];
    const converter: UploadRound[] = [];
    const upload: UploadRound[] = [];
    const pages: number[] = [];
    const uploaded: string[] = [];
    let bytes = 0;
    for (let round = 0; round < load.rounds; round++) {
      const pdfs = benchPdfs(load.documents, load.pdfBytes, `round-${round}`);
      bytes += pdfs.reduce((sum, pdf) => sum + pdf.bytes.length, 0);
      storage.push(await storageRound(stack, pdfs, load.clients, round));
      const converted = await converterRound(pdfs, limits, config.CONVERT_CONCURRENCY);
      converter.push(converted.round);
      pages.push(...converted.pages);
      const through = await uploadRound(stack, pdfs, load.clients);
      upload.push(through.round);
      uploaded.push(...through.ids);
    }

    const stored = await storedOutcome(stack, uploaded);
    const total = load.documents * load.rounds;
    return {
      machine: { node: process.version, cpus: cpus().length, loadBefore, loadAfter: loadavg()[0]! },
      options: {
        ...load,
        bytesPerDocument: bytes / total,
        pagesPerDocument: pages.reduce((sum, value) => sum + value, 0) / pages.length,
        convertConcurrency: config.CONVERT_CONCURRENCY,
      },
      rows: uploadRows(storage, converter, upload),
      stored,
    };
  } finally {
    await stack.close();
  }
}

/** The uploads did their work: every task succeeded, every document has chunks, all naming a page. */
async function storedOutcome(stack: UploadStack, ids: string[]): Promise<UploadResults['stored']> {
  const { db } = stack.runner;
  const succeeded = await db.$count(
    tasks,
    and(eq(tasks.status, 'succeeded'), inArray(sql`(${tasks.input} ->> 'documentId')::uuid`, ids)),
  );
  const [counts] = await db
    .select({
      documents: sql<number>`count(distinct ${chunks.documentId})::int`,
      chunks: sql<number>`count(*)::int`,
      chunksNamingAPage: sql<number>`(count(*) filter (where (${chunks.metadata} ->> 'page') is not null))::int`,
    })
    .from(chunks)
    .where(inArray(chunks.documentId, ids));
  if (
    succeeded !== ids.length ||
    counts!.documents !== ids.length ||
    counts!.chunksNamingAPage !== counts!.chunks
  ) {
    throw new Error(
      `${succeeded}/${ids.length} tasks succeeded, ${counts!.documents}/${ids.length} documents have chunks, ` +
        `${counts!.chunksNamingAPage}/${counts!.chunks} chunks name their page`,
    );
  }
  return counts!;
}
