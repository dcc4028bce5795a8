import { HttpProblem } from '@repo/http';
import { APICallError, RetryError } from 'ai';

export type FailureKind = 'provider' | 'timeout' | 'aborted' | 'internal';

/**
 * What the caller of a failed provider call is told: always the same words. A provider's own
 * error text can quote a fragment of the API key ("Incorrect API key provided: sk-…abcd"), the
 * request, or the account; it goes to the log (through the problem's `cause` and the log's error
 * serializer, which scrubs it), never into a response or a task's stored error.
 */
export const PROVIDER_FAILED =
  'The model provider failed; nothing was stored for this reply. Retry later, or quote the request id.';

/**
 * Sorts what a model call threw into what the caller is told (and what the metrics count).
 * `requestId` goes into the problem, so a client can quote it and an operator find the log line.
 */
export function classify(error: unknown, requestId?: string): { kind: FailureKind; problem?: HttpProblem } {
  if (error instanceof HttpProblem) return { kind: 'internal', problem: error };
  const reference = requestId === undefined ? {} : { requestId };
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError') {
    return {
      kind: 'timeout',
      problem: new HttpProblem(504, 'The model did not answer in time; nothing was stored for this reply.', {
        extensions: reference,
        cause: error,
      }),
    };
  }
  if (name === 'AbortError') return { kind: 'aborted' };
  if (RetryError.isInstance(error) || APICallError.isInstance(error)) {
    return {
      kind: 'provider',
      problem: new HttpProblem(502, PROVIDER_FAILED, {
        type: 'urn:keelson:problem:model-provider',
        extensions: { retried: RetryError.isInstance(error) ? error.errors.length - 1 : 0, ...reference },
        cause: error,
      }),
    };
  }
  return { kind: 'internal' };
}
