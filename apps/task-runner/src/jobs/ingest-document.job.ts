import type { Database } from '@repo/db';
import { ingestDocument, markDocumentFailed, markDocumentProcessing } from '../ingestion/ingest-document.ts';
import type { SplitOptions } from '../ingestion/text-splitter.ts';
import { contractJob } from './job-definition.ts';

export interface IngestDocumentJobOptions {
  db: Database;
  split: SplitOptions;
  concurrency: number;
  timeoutMs: number;
}

export function ingestDocumentJob(options: IngestDocumentJobOptions) {
  const { db, split } = options;
  return contractJob('ingest-document', {
    // Every replica: a run replaces the document's chunks in one transaction under its row lock,
    // so two replicas (or a re-delivery) leave exactly one set; more replicas, more documents/s.
    runsOn: 'every-replica',
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    async process({ documentId }, { signal }) {
      await markDocumentProcessing(db, documentId);
      return ingestDocument(db, documentId, { ...split, signal });
    },
    async onFinalFailure({ documentId }, error) {
      await markDocumentFailed(db, documentId, error.message);
    },
  });
}
