import { ObjectTooLargeError, type ObjectStorage } from '@repo/storage';
import pLimit from 'p-limit';
import { convertFile, type ConversionLimits } from '../conversion/convert.ts';
import { DocumentRejected, type Section } from '../conversion/sections.ts';

export interface DocumentFilesOptions {
  /** Undefined when S3_BUCKET is not set: a file document then fails, naming the variable. */
  storage: ObjectStorage | undefined;
  limits: ConversionLimits;
  /** CONVERT_CONCURRENCY: conversions at once, whatever the ingestion concurrency. */
  concurrency: number;
  /** CONVERT_MAX_FILE_BYTES: a larger object is not read. */
  maxFileBytes: number;
}

/** A document's stored file, read and converted into sections. */
export type DocumentFiles = (objectKey: string, signal?: AbortSignal) => Promise<Section[]>;

const MiB = 1024 * 1024;

/**
 * Reads an uploaded file from object storage and converts it, at most `concurrency` at a time:
 * reading and converting are what take memory (the file, then the converter's heap), so the
 * bound is on both together and the process's memory stays within
 * concurrency × (file + CONVERT_MEMORY_MB) for conversions, however many ingestions run.
 */
export function createDocumentFiles(options: DocumentFilesOptions): DocumentFiles {
  const limit = pLimit(options.concurrency);
  return (objectKey, signal) =>
    limit(async () => {
      signal?.throwIfAborted();
      if (!options.storage) {
        throw new Error(
          'this document is an uploaded file, and object storage is not configured here (S3_BUCKET)',
        );
      }
      let bytes: Buffer | undefined;
      try {
        bytes = await options.storage.read(objectKey, options.maxFileBytes, signal);
      } catch (error) {
        if (error instanceof ObjectTooLargeError) {
          throw new DocumentRejected(
            `The file is larger than ${Math.round(options.maxFileBytes / MiB)} MiB, the most that is converted: split it into smaller files.`,
          );
        }
        throw error;
      }
      if (!bytes) {
        throw new DocumentRejected('The uploaded file is no longer in storage: upload it again.');
      }
      return (await convertFile(bytes, options.limits, signal)).sections;
    });
}
