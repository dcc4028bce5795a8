import type { Database } from '@repo/db';
import { UnrecoverableError } from 'bullmq';
import { DocumentRejected } from '../conversion/sections.ts';
import type { DocumentFiles } from '../ingestion/document-files.ts';
import { ingestDocument, markDocumentFailed, markDocumentProcessing } from '../ingestion/ingest-document.ts';
import type { SplitOptions } from '../ingestion/text-splitter.ts';
import { contractJob } from './job-definition.ts';

export interface IngestDocumentJobOptions {
  db: Database;
  split: SplitOptions;
  /** Reads and converts uploaded files. */
  files: DocumentFiles;
  concurrency: number;
  timeoutMs: number;
}

export function ingestDocumentJob(options: IngestDocumentJobOptions) {
  const { db, split, files } = options;
  return contractJob('ingest-document', {
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    async process({ documentId }, { signal }) {
      await markDocumentProcessing(db, documentId);
      try {
        return await ingestDocument(db, documentId, { ...split, files, signal });
      } catch (error) {
        // A file that cannot be converted fails at once with its reason (the final-failure hook
        // stores it on the document): retrying would only repeat it.
        if (error instanceof DocumentRejected) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    async onFinalFailure({ documentId }, error) {
      await markDocumentFailed(db, documentId, error.message);
    },
  });
}
