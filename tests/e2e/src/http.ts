import { setTimeout as sleep } from 'node:timers/promises';

/** A caller of the api through its published port, with one owner's token. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  async request(
    method: string,
    path: string,
    {
      body,
      headers = {},
      timeoutMs = 30_000,
    }: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<{ status: number; headers: Headers; body: unknown; ms: number }> {
    const started = performance.now();
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed,
      ms: performance.now() - started,
    };
  }

  /** POST /v1/documents → the new document's id (expects 202). */
  async createDocument(title: string, content: string, idempotencyKey?: string): Promise<string> {
    const { status, body } = await this.request('POST', '/v1/documents', {
      body: { title, content },
      headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    });
    if (status !== 202) throw new Error(`POST /v1/documents: ${status} ${JSON.stringify(body)}`);
    return (body as { id: string }).id;
  }
}

/** Unauthenticated GET with a timeout: the status, or the network error's code. */
export async function probe(url: string, timeoutMs = 5_000): Promise<number | string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return errorCode(error);
  }
}

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).name ?? String(error);
}

export interface LoadResult {
  requests: number;
  succeeded: number;
  failed: number;
  /** Failures by kind of request and status (or network error code), e.g. `read 503`. */
  failures: Record<string, number>;
  byKind: Record<string, number>;
  durationMs: number;
}

/**
 * A steady, bounded load through the load balancer: `concurrency` callers, each sending one
 * request, waiting `pauseMs`, and again — a mix of reads that need Postgres (list documents),
 * liveness probes, and writes (create a document, every 10th request) carrying an Idempotency-Key,
 * as a client that may be retried must. Stops when `stop()` is called, after `maxDurationMs`, or
 * after `maxRequests`, whichever comes first. A request counts as failed unless it is 2xx.
 */
export function startLoad(
  api: ApiClient,
  {
    concurrency = 4,
    pauseMs = 25,
    maxDurationMs = 120_000,
    maxRequests = 20_000,
    tag = 'load',
  }: {
    concurrency?: number;
    pauseMs?: number;
    maxDurationMs?: number;
    maxRequests?: number;
    tag?: string;
  } = {},
) {
  const started = performance.now();
  const deadline = Date.now() + maxDurationMs;
  let stopped = false;
  const result: LoadResult = {
    requests: 0,
    succeeded: 0,
    failed: 0,
    failures: {},
    byKind: {},
    durationMs: 0,
  };

  async function caller(index: number) {
    for (let i = 0; !stopped && Date.now() < deadline && result.requests < maxRequests; i++) {
      result.requests += 1;
      const kind = i % 10 === 9 ? 'write' : i % 2 === 0 ? 'read' : 'health';
      result.byKind[kind] = (result.byKind[kind] ?? 0) + 1;
      let outcome: number | string;
      try {
        const response =
          kind === 'write'
            ? await api.request('POST', '/v1/documents', {
                body: { title: `${tag} ${index}-${i}`, content: `Load document ${index}-${i}.` },
                headers: { 'idempotency-key': `${tag}-${index}-${i}` },
                timeoutMs: 15_000,
              })
            : await api.request('GET', kind === 'read' ? '/v1/documents?limit=5' : '/health', {
                timeoutMs: 15_000,
              });
        outcome = response.status;
      } catch (error) {
        outcome = errorCode(error);
      }
      if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) result.succeeded += 1;
      else {
        result.failed += 1;
        const key = `${kind} ${outcome}`;
        result.failures[key] = (result.failures[key] ?? 0) + 1;
      }
      await sleep(pauseMs);
    }
  }

  const callers = Promise.all(Array.from({ length: concurrency }, (_, index) => caller(index)));
  return {
    result,
    async stop(): Promise<LoadResult> {
      stopped = true;
      await callers;
      result.durationMs = Math.round(performance.now() - started);
      return result;
    },
  };
}
