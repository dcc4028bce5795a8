/**
 * What the load client (src/load-client.ts, a process of its own) is asked to do, and what it
 * answers. The harness writes the whole plan — which target, in which order, how hard — so the
 * interleaving of subjects and baselines is decided in one place (the harness), not here.
 */

/**
 * HTTP over keep-alive connections: autocannon in a closed loop; paced (LoadStep.pace), callers
 * at evenly spread times as for SQL (load-client.ts says why not autocannon's own pacing).
 */
export interface HttpTarget {
  kind: 'http';
  /** Origin, e.g. http://127.0.0.1:3000. */
  origin: string;
  method?: 'GET' | 'POST';
  /** One path, or several taken in turn request by request (e.g. one conversation after another). */
  paths: string[];
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A statement sent straight to Postgres with `pg`, as the route's code sends it (captured from it,
 * see sql-capture.ts): the same text, parameters, statement name and row mode, from a pool of the
 * api's size. `connections` of the step = concurrent callers of that pool.
 */
export interface SqlTarget {
  kind: 'sql';
  databaseUrl: string;
  poolMax: number;
  statement: CapturedStatement;
}

export interface CapturedStatement {
  text: string;
  values: unknown[];
  /** Set when the code issues a named (prepared) statement. */
  name?: string;
  rowMode?: 'array';
}

export type LoadTarget = HttpTarget | SqlTarget;

export interface LoadStep {
  /** Index into LoadPlan.targets. */
  target: number;
  connections: number;
  /** Stop after this long… */
  durationS?: number;
  /** …or after this many requests (sent and answered). */
  amount?: number;
  /**
   * Open loop at a fraction of the 2xx rate an earlier step of this plan measured (e.g. 0.5 of the
   * closed-loop maximum), instead of as fast as the connections go: latency at a given load.
   */
  pace?: { ofStep: number; fraction: number };
}

export interface LoadPlan {
  targets: LoadTarget[];
  steps: LoadStep[];
}

export interface StepResult {
  durationS: number;
  /** The rate the step was paced at (requests per second), when it was. */
  pacedAt?: number;
  /** 2xx responses (or statements that returned) per second. */
  requestsPerSecond: number;
  responses2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Of 2xx responses only, hrtime precision (autocannon's own histogram keeps whole ms). */
  latencyMs: { p50: number; p90: number; p99: number };
  /** Every 2xx latency in ms, for pooling over rounds. */
  latencies: number[];
}
