import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  HttpProblem,
  problem,
  PROBLEM_CONTENT_TYPE,
  serviceUnavailable,
  VALIDATION_PROBLEM,
} from './problem.ts';
import { connectionFailure } from './unavailable.ts';

/**
 * Every error leaves as RFC 9457 problem+json. Client errors keep their status and say what was
 * wrong, field by field for validation; a dependency that cannot be reached (database down,
 * connection refused or cut) is a 503 with Retry-After; other server errors are logged in full
 * and answered with a generic 500 that reveals nothing but the request id to quote.
 */
async function problemDetails(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpProblem) {
      return send(reply, error.status, error.toJSON(request.url), error.headers);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const location = error.validationContext ?? 'body';
      const errors = error.validation.map((issue) => ({
        location,
        pointer: issue.instancePath || '/',
        message: issue.message,
      }));
      return send(
        reply,
        400,
        problem(400, `The request ${location} is invalid`, {
          type: VALIDATION_PROBLEM,
          instance: request.url,
          errors,
        }),
      );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, body too large (413), unsupported media type…
      return send(reply, status, problem(status, error.message, { instance: request.url }));
    }
    const unreachable = connectionFailure(error);
    if (unreachable) {
      // An outage, not a bug: the same request succeeds once the dependency is back, and the
      // probes report the outage already. The root cause is logged, not the wrapper, which may
      // hold the query's parameters.
      request.log.warn({ err: unreachable }, 'dependency unavailable');
      const unavailable = serviceUnavailable(
        'A service this request depends on is unavailable. Retry later.',
      );
      return send(reply, 503, unavailable.toJSON(request.url), unavailable.headers);
    }
    request.log.error({ err: withoutQueryParameters(error) }, 'request failed');
    return send(
      reply,
      status,
      problem(status, 'An unexpected error occurred. Quote the request id when reporting it.', {
        instance: request.url,
        requestId: request.id,
      }),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, problem(404, `No route for ${request.method} ${request.url}`)),
  );
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a malformed URL such as
 * `/v1/tasks/%`) bypass the error handler, so they are rendered here the same way.
 */
export function renderFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
      ? error.statusCode
      : 400;
  void send(reply, status, problem(status, error.message, { instance: request.url }));
}

function send(reply: FastifyReply, status: number, body: object, headers: Record<string, string> = {}) {
  // Bypass the route's response schema: problems have their own shape.
  return reply.code(status).headers(headers).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(body);
}

export const problemDetailsPlugin = fp(problemDetails, { name: 'problem-details' });

/**
 * drizzle's DrizzleQueryError carries the failed query's parameters — user data: document
 * content, titles, owner ids — in `params` and in its message. The log keeps the SQL, the count
 * of parameters, the stack and the cause (the database's own error), not the values.
 */
function withoutQueryParameters(error: unknown): unknown {
  if (
    !(error instanceof Error) ||
    !('query' in error) ||
    !('params' in error) ||
    !Array.isArray(error.params)
  ) {
    return error;
  }
  const redacted = new Error(
    `Failed query: ${String(error.query)}\nparams: ${error.params.length} redacted`,
    { cause: error.cause },
  );
  redacted.name = error.name;
  const frames = (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at '));
  redacted.stack = [`${redacted.name}: ${redacted.message}`, ...frames].join('\n');
  return redacted;
}
