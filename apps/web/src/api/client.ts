import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.ts';

export type Problem = components['schemas']['Problem'];

/**
 * The typed api client: paths, parameters, bodies and responses all come from schema.ts, which is
 * generated from the api's openapi.json (`pnpm --filter @repo/web generate`; test/schema.test.ts
 * fails when it is stale). Same origin, so no base URL and no CORS: the token is the only
 * credential and it travels in the Authorization header, never in a cookie.
 */
export function createApiClient(token: string, onUnauthorized: () => void) {
  const client = createClient<paths>({ baseUrl: window.location.origin });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ response }) {
      // An expired or revoked token: back to the sign-in page instead of failing every request.
      if (response.status === 401) onUnauthorized();
      return response;
    },
  };
  client.use(auth);
  return client;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * `fetch` with the same credential and the same 401 handling as the typed client, for code that
 * brings its own HTTP layer (the AI SDK's chat transport): the token stays in this closure.
 */
export function createAuthorizedFetch(token: string, onUnauthorized: () => void): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    const response = await fetch(input, { ...init, headers });
    if (response.status === 401) onUnauthorized();
    return response;
  };
}

/** One line for a failed request: the problem's title and detail, or what went wrong on the way. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'title' in error) {
    const problem = error as Partial<Problem>;
    return [problem.title, problem.detail].filter(Boolean).join(': ');
  }
  return 'The request failed.';
}
