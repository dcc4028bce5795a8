import type { Database } from '@repo/db';
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
  const { db, split } = options;
  const markProcessing = documentProcessingMarker(db);
  const ingest = documentIngestion(db);
  return contractJob('ingest-document', {
    // Every replica: a run replaces the document's chunks in one transaction under its row lock,
    // so two replicas (or a re-delivery) leave exactly one set; more replicas, more documents/s.
    runsOn: 'every-replica',
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    async process({ documentId }, { signal, succeedTaskIn }) {
      await markProcessing(documentId);
      return ingest(documentId, { ...split, signal, settle: succeedTaskIn });
    },
    async onFinalFailure({ documentId }, error) {
      await markDocumentFailed(db, documentId, error.message);
    },
  });
}
