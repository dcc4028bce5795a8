import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';

/**
 * A timestamp: a `Date` in handlers, an ISO 8601 string on the wire. Response serialization
 * encodes through this codec, so handlers return rows from the database as they come.
 */
export const timestamp = z.codec(z.iso.datetime({ offset: true }), z.date(), {
  decode: (value) => new Date(value),
  encode: (date) => date.toISOString(),
});

/** RFC 9457 problem details; extension members (validation `errors`, `checks`, …) pass through. */
export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    /** Validation problems: one entry per invalid field. */
    errors: z.array(z.object({ location: z.string(), pointer: z.string(), message: z.string() })).optional(),
  })
  // Named, so OpenAPI has it once under components and every error response refers to it.
  .meta({ id: 'Problem' });

/**
 * Documents an error status (in OpenAPI, as problem+json); problem-details renders the body,
 * not the route.
 */
export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

export const validationProblem = problemResponse(
  'The request is invalid: `errors[]` lists each field (location, JSON pointer, message).',
);
