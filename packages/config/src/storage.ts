import { z } from 'zod';
import { booleanString } from './schemas.ts';
import { secret } from './secret.ts';

/**
 * Object storage for uploaded files: any S3-compatible server (AWS S3, Cloudflare R2, Backblaze
 * B2, Garage, …), spoken to through the S3 API. Optional: without `S3_BUCKET` a stack stores text
 * documents only, and a file upload answers 503 naming the variable.
 */

/** S3's bucket naming rules (the strictest common subset: no dots, so path and virtual-host styles both work). */
const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
    'expected 3-63 lowercase letters, digits or dashes, starting and ending with a letter or digit',
  );

const endpoint = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return ['http:', 'https:'].includes(url.protocol) && url.pathname === '/' && url.search === '';
    } catch {
      return false;
    }
  },
  { message: 'expected the server base URL, http(s)://host[:port], without a path' },
);

export const storage = {
  /** The bucket for uploaded files. Unset: file uploads are off (JSON documents still work). */
  S3_BUCKET: bucketName.optional(),
  /**
   * The S3 API's base URL for a server other than AWS (Garage, R2, B2, …). Unset: AWS S3 in
   * S3_REGION, at the endpoint the SDK derives.
   */
  S3_ENDPOINT: endpoint.optional(),
  /** AWS region, or the region name an S3-compatible server expects (Garage: its `s3_region`). */
  S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'expected a region name such as us-east-1')
    .default('us-east-1'),
  /**
   * Static credentials, both or neither. Neither: the SDK's default credential chain (on AWS, the
   * ECS task role or the instance profile), so no long-lived key is ever configured there.
   */
  S3_ACCESS_KEY_ID: secret(z.string().min(1)).optional(),
  S3_SECRET_ACCESS_KEY: secret(z.string().min(1)).optional(),
  /**
   * `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`. Garage, SeaweedFS and
   * most self-hosted servers need it; AWS and R2 do not.
   */
  S3_FORCE_PATH_STYLE: booleanString.default(false),
  /**
   * Every object key starts with this, so the bucket may be shared: the maintenance job only
   * ever lists and deletes keys under it.
   */
  S3_KEY_PREFIX: z
    .string()
    .regex(/^([a-z0-9][a-z0-9._-]*\/)+$/, 'expected path segments ending with a slash, e.g. documents/')
    .default('documents/'),
};

type StorageFields = {
  S3_BUCKET?: string | undefined;
  S3_ENDPOINT?: string | undefined;
  S3_ACCESS_KEY_ID?: string | undefined;
  S3_SECRET_ACCESS_KEY?: string | undefined;
  S3_REGION: string;
  S3_FORCE_PATH_STYLE: boolean;
  S3_KEY_PREFIX: string;
};

/** Cross-field rules of the storage block, for an app schema's `superRefine`. */
export function refineStorage(config: StorageFields, ctx: z.RefinementCtx): void {
  const keys = [config.S3_ACCESS_KEY_ID, config.S3_SECRET_ACCESS_KEY].filter((v) => v !== undefined);
  if (keys.length === 1) {
    ctx.addIssue({
      code: 'custom',
      path: [config.S3_ACCESS_KEY_ID === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY'],
      message:
        'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither (then the default AWS credential chain, e.g. an ECS task role, is used)',
    });
  }
  if (config.S3_BUCKET === undefined && (config.S3_ENDPOINT !== undefined || keys.length > 0)) {
    ctx.addIssue({
      code: 'custom',
      path: ['S3_BUCKET'],
      message: 'is required when S3_ENDPOINT or S3 credentials are set: name the bucket for uploaded files',
    });
  }
}

/** What a storage client needs, or undefined when uploads are off (no S3_BUCKET). */
export interface ObjectStorageConfig {
  bucket: string;
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  keyPrefix: string;
  /** Undefined: the SDK's default credential chain. */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export function objectStorageConfig(config: StorageFields): ObjectStorageConfig | undefined {
  if (config.S3_BUCKET === undefined) return undefined;
  return {
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    keyPrefix: config.S3_KEY_PREFIX,
    credentials:
      config.S3_ACCESS_KEY_ID !== undefined && config.S3_SECRET_ACCESS_KEY !== undefined
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
  };
}
