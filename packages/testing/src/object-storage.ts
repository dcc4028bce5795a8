import { inject } from 'vitest';
import { uniqueId } from './wait.ts';

import './provided-context.ts';

export interface TestBucket {
  endpoint: string;
  bucket: string;
  /** The S3_* environment of an app using this bucket (moto takes any key; path-style URLs). */
  env: Record<string, string>;
}

/**
 * A bucket of this test file's own on the test S3 server (moto, from the global setup), so test
 * files never see each other's objects. Created with one unsigned `PUT /<bucket>`: moto checks no
 * signature, and the tests need no S3 client of their own for it.
 */
export async function createTestBucket(name = 'test'): Promise<TestBucket> {
  const endpoint = inject('s3Endpoint');
  const bucket = `${name}-${uniqueId()}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);
  const response = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  if (!response.ok)
    throw new Error(`cannot create bucket ${bucket}: HTTP ${response.status} ${await response.text()}`);
  return {
    endpoint,
    bucket,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'test',
      S3_SECRET_ACCESS_KEY: 'test',
    },
  };
}
