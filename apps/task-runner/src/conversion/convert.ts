import { Worker } from 'node:worker_threads';
import { ACCEPTED_TYPES, detectDocumentKind, documentKinds, type DocumentKind } from '@repo/storage';
import type { ConvertReply, ConvertRequest } from './convert-worker.ts';
import { DocumentRejected, type Section } from './sections.ts';

export interface ConversionLimits {
  /** A file taking longer is given up (its worker terminated). */
  timeoutMs: number;
  /** Heap plus buffers one file's conversion may use, in MiB. */
  memoryMb: number;
  /** The most a DOCX may expand to when unzipped. */
  maxUnzippedBytes: number;
}

export interface Converted {
  kind: DocumentKind;
  sections: Section[];
}

const MiB = 1024 * 1024;
/** How often the worker's memory is read: a file can overshoot the limit by what it allocates in this time. */
const WATCH_INTERVAL_MS = 50;

// dist/ holds convert-worker.js; in development and tests this file runs as TypeScript.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './convert-worker.ts' : './convert-worker.js',
  import.meta.url,
);

/**
 * Turns a stored file into text sections, bounded so that a hostile file cannot take the runner
 * down: the kind is decided again from the whole file (never from what the upload claimed), and
 * each conversion runs in a worker thread of its own with
 * - a V8 heap limit (`resourceLimits`): past it V8 ends the worker, not the process;
 * - a watchdog on the worker's heap *and* its buffers (`getHeapStatistics`, every 50 ms), since
 *   typed arrays (an inflated stream, an unzipped entry) live outside the heap limit;
 * - a timeout, and the job's signal (cancellation, shutdown): both terminate the worker.
 * A file that cannot be converted throws DocumentRejected with a reason its owner can act on.
 */
export async function convertFile(
  bytes: Buffer,
  limits: ConversionLimits,
  signal?: AbortSignal,
): Promise<Converted> {
  const detection = await detectDocumentKind(bytes, { complete: true });
  if (detection.kind === 'empty') {
    throw new DocumentRejected('The file is empty (0 bytes): there is no text to index.');
  }
  if (detection.kind === 'rejected') {
    throw new DocumentRejected(
      `The file's content is ${detection.what}, which is not an accepted type: ${ACCEPTED_TYPES}.`,
    );
  }
  const kind = detection.kind;
  const sections = await inWorker(
    {
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      kind,
      maxUnzippedBytes: limits.maxUnzippedBytes,
    },
    limits,
    documentKinds[kind].label,
    signal,
  );
  // Postgres text cannot hold NUL, which a PDF's text layer may contain.
  const clean = sections
    .map((section) => ({ ...section, text: section.text.replaceAll('\u0000', '') }))
    .filter((section) => section.text.trim() !== '');
  if (clean.length === 0)
    throw new DocumentRejected(`The ${documentKinds[kind].label} file contains no text.`);
  return { kind, sections: clean };
}

function inWorker(
  request: ConvertRequest,
  limits: ConversionLimits,
  label: string,
  signal: AbortSignal | undefined,
): Promise<Section[]> {
  signal?.throwIfAborted();
  return new Promise<Section[]>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {
      workerData: request,
      resourceLimits: {
        maxOldGenerationSizeMb: limits.memoryMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.min(32, Math.floor(limits.memoryMb / 8))),
      },
      // The converters need no flag, no environment, and their console output is not ours.
      execArgv: [],
      env: {},
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();

    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const tooMuchMemory = () =>
      new DocumentRejected(
        `Converting the ${label} file needed more than ${limits.memoryMb} MiB of memory, the limit per file: it may be malformed or built to exhaust memory. Split it into smaller files, or export it again.`,
      );

    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new DocumentRejected(
              `Converting the ${label} file took longer than ${Math.round(limits.timeoutMs / 1000)} s, the limit per file: it may be malformed or unusually complex. Split it into smaller files, or export it again.`,
            ),
          ),
        ),
      limits.timeoutMs,
    );
    const watch = setInterval(() => {
      worker.getHeapStatistics().then(
        (stats) => {
          const used = stats.used_heap_size + (stats as { external_memory?: number }).external_memory!;
          if (used > limits.memoryMb * MiB) finish(() => reject(tooMuchMemory()));
        },
        () => {}, // the worker has just ended: its exit settles the outcome
      );
    }, WATCH_INTERVAL_MS);
    const onAbort = () => finish(() => reject(signal!.reason as Error));
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.once('message', (reply: ConvertReply) =>
      finish(() => {
        if (reply.ok) resolve(reply.sections);
        else if ('rejected' in reply) reject(new DocumentRejected(reply.rejected));
        else reject(new Error(`converting the ${label} file failed: ${reply.error}`));
      }),
    );
    worker.once('error', (error: Error & { code?: string }) =>
      finish(() => reject(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? tooMuchMemory() : error)),
    );
    worker.once('exit', (code) =>
      finish(() => reject(new Error(`the converter stopped without an answer (exit code ${code})`))),
    );
  });
}
