import { Writable } from 'node:stream';

/** What was written to a capturing stream, as it was written. */
export interface CapturedLines {
  /** Give it to a logger as its destination (pino: `createLogger(config, stream)`). */
  stream: Writable;
  /** Each write, in order: one JSON log line each for pino. */
  lines: string[];
}

/**
 * A writable that keeps every write, for a test that reads what a service logged (that a failure
 * names the variable to fix, that a secret is never written).
 */
export function captureLines(): CapturedLines {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines };
}
