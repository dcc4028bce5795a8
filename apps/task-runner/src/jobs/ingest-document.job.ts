import type { Database } from '@repo/db';
import { EmbeddingDimensionsError, type Embedder } from '@repo/embeddings';
import { UnrecoverableError } from 'bullmq';
import { DocumentRejected } from '../conversion/sections.ts';
import type { DocumentFiles } from '../ingestion/document-files.ts';
import {
  documentIngestion,
  documentProcessingMarker,
  markDocumentFailed,
} from '../ingestion/ingest-document.ts';
import type { SplitOptions } from '../ingestion/text-splitter.ts';
import { contractJob } from './job-definition.ts';

export interface IngestDocumentJobOptions {
  db: Database;
  split: SplitOptions;
  /** Reads and converts uploaded files. */
  files: DocumentFiles;
  /** Embeds each document's chunks; undefined without an embedding model (chunks stored without vectors). */
  embedder?: Embedder | undefined;
  concurrency: number;
  timeoutMs: number;
}

/**
 * Per document: a `processing` hint (its own commit, so the owner sees it while the ingestion
 * waits or works), then one transaction that replaces the chunks, marks the document ready and
 * the task succeeded: three commits per document where there were four, with the task's running
 * mark (tests/bench/README.md has the statements).
 */
export function ingestDocumentJob(options: IngestDocumentJobOptions) {
  const { db, split, files, embedder } = options;
  const markProcessing = documentProcessingMarker(db);
  const ingest = documentIngestion(db, files, embedder);
  return contractJob('ingest-document', {
    // Every replica: a run replaces the document's chunks in one transaction under its row lock,
    // so two replicas (or a re-delivery) leave exactly one set; more replicas, more documents/s.
    runsOn: 'every-replica',
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    async process({ documentId }, { signal, succeedTaskIn }) {
      await markProcessing(documentId);
      try {
        return await ingest(documentId, { ...split, signal, settle: succeedTaskIn });
      } catch (error) {
        // A file that cannot be converted fails at once with its reason (the final-failure hook
        // stores it on the document): retrying would only repeat it.
        if (error instanceof DocumentRejected) throw new UnrecoverableError(error.message);
        // So is a model whose vectors do not fit the chunks table: only its operator can fix it.
        if (error instanceof EmbeddingDimensionsError) throw new UnrecoverableError(error.message);
        // Anything else (a provider down, a timeout) is retried with the job's backoff.
        throw error;
      }
    },
    async onFinalFailure({ documentId }, error) {
      await markDocumentFailed(db, documentId, error.message);
    },
  });
}
