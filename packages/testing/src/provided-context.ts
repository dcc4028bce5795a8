/** What the global setup hands to every test through vitest's `inject()`. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test Postgres server; tests create their own database on it. */
    databaseUrl: string;
    redisUrl: string;
    /** An S3 endpoint (moto) for packages whose tests store files; each test file makes its own bucket. */
    s3Endpoint: string;
  }
}

export {};
