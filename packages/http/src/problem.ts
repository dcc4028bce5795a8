import { STATUS_CODES } from 'node:http';

/** An RFC 9457 problem: what every error response of every service looks like. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The `type` of a 400 whose `errors[]` lists each invalid field (location, JSON pointer, message). */
export const VALIDATION_PROBLEM = 'urn:keelson:problem:validation';

/**
 * Thrown by handlers and services for an expected failure; the error handler renders it.
 * `type` stays `about:blank` unless the problem has a meaning beyond its status code.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    options: {
      type?: string;
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
      /** What went wrong underneath, for the log (never rendered into the response). */
      cause?: unknown;
    } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.type = options.type ?? 'about:blank';
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toJSON(instance?: string): ProblemDetails {
    return problem(this.status, this.message, { type: this.type, instance, ...this.extensions });
  }
}

export function problem(
  status: number,
  detail: string | undefined,
  {
    type = 'about:blank',
    ...rest
  }: { type?: string; instance?: string | undefined; [key: string]: unknown } = {},
): ProblemDetails {
  const body: ProblemDetails = { type, title: STATUS_CODES[status] ?? 'Error', status };
  if (detail) body.detail = detail;
  // Extensions never overwrite the members every client relies on.
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined && key !== 'title' && key !== 'status' && key !== 'detail') body[key] = value;
  }
  return body;
}

export const notFound = (what: string) => new HttpProblem(404, `${what} not found`);

export const conflict = (detail: string, type = 'about:blank') => new HttpProblem(409, detail, { type });

export const serviceUnavailable = (detail: string, retryAfterSeconds = 5) =>
  new HttpProblem(503, detail, { headers: { 'retry-after': String(retryAfterSeconds) } });
