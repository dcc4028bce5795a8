import { describeError } from './client.ts';

/** openapi-fetch's `{ data, error }` as a value or a thrown Error naming the problem. */
export async function unwrap<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await request;
  if (error !== undefined || data === undefined) {
    throw new Error(error === undefined ? `HTTP ${response.status}` : describeError(error));
  }
  return data;
}
