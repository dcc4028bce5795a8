import { HttpProblem } from '@repo/http';
import { APICallError, RetryError } from 'ai';

export type FailureKind = 'provider' | 'timeout' | 'aborted' | 'internal';

/** Sorts what a model call threw into what the caller is told (and what the metrics count). */
export function classify(error: unknown): { kind: FailureKind; problem?: HttpProblem } {
  if (error instanceof HttpProblem) return { kind: 'internal', problem: error };
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError') {
    return {
      kind: 'timeout',
      problem: new HttpProblem(504, 'The model did not answer in time; nothing was stored for this reply.'),
    };
  }
  if (name === 'AbortError') return { kind: 'aborted' };
  if (RetryError.isInstance(error) || APICallError.isInstance(error)) {
    const last = RetryError.isInstance(error) ? error.lastError : error;
    const status = APICallError.isInstance(last) ? last.statusCode : undefined;
    return {
      kind: 'provider',
      problem: new HttpProblem(
        502,
        `The model provider failed${status ? ` (HTTP ${status})` : ''}: ${messageOf(last)}`,
        {
          type: 'urn:keelson:problem:model-provider',
          extensions: { retried: RetryError.isInstance(error) ? error.errors.length - 1 : 0 },
        },
      ),
    };
  }
  return { kind: 'internal' };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300);
}
