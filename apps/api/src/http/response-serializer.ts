import { timestamp } from '@repo/http';
import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Compiled response serialization (issue 13). fastify-type-provider-zod's serializer encodes
 * every response through zod (the `timestamp` codec turns each Date into a string, every check
 * runs on every row) and then calls JSON.stringify: about a tenth of the api's CPU on a page of
 * documents. Here each route's zod response schema is converted once, when the route is
 * registered, to JSON Schema (zod's own `z.toJSONSchema`) and compiled by fast-json-stringify —
 * the serializer Fastify itself uses for JSON Schema routes — into a function that writes the
 * declared properties and nothing else.
 *
 * What stays as it was:
 * - only declared properties reach the wire: fast-json-stringify writes the schema's properties
 *   (`additionalProperties: false`, as zod's `z.object` strips) — a column a query selects by
 *   mistake is dropped, not leaked; a `z.looseObject` (problem+json with its extension members)
 *   keeps its extra members, as zod does;
 * - a Date leaves as `toISOString()` (the `timestamp` codec's encoding, fast-json-stringify's for
 *   `format: date-time`), null stays null, an undefined optional property is left out;
 * - the properties in the order the schema declares them (see `required` below);
 * - a schema that cannot be converted faithfully keeps zod's serializer (`responseJsonSchema`
 *   says why; `onCompile` is told): anything that transforms on the way out (a transform, a codec other than
 *   `timestamp`, a default, a catch), what JSON Schema cannot hold (custom types, maps, sets,
 *   bigints, recursion), unions and intersections (fast-json-stringify picks a branch by Ajv,
 *   not as zod does), and a response that is `z.any()`/`z.unknown()` as a whole (nothing to
 *   gain). Non-JSON media types (server-sent events, file downloads) keep it too: their bodies
 *   are streams Fastify never serializes.
 *
 * What changes: fast-json-stringify coerces instead of checking (a number where a string is
 * declared is written as a string; formats, patterns and enums are not checked), where zod
 * refused the response with a ResponseSerializationError (500). With `verify` (development and
 * test) every response is also encoded by zod and compared, byte for byte, with what the compiled
 * serializer wrote: a handler returning the wrong shape, or a conversion that diverges from zod,
 * still fails as a 500 there, while the bytes sent are always the compiled serializer's, so the
 * tests exercise what production runs. Production skips the comparison: that is the saving.
 */

/** How one response (route, status, media type) is serialized; reported to `onCompile`. */
export interface ResponseSerializerChoice {
  method: string;
  url: string;
  httpStatus: string | undefined;
  contentType: string | undefined;
  /** The route's zod schema for this response. */
  schema: unknown;
  /** The JSON Schema it was compiled from, or why it keeps zod's serializer. */
  serializer: { compiled: object } | { zod: string };
}

export interface ResponseSerializerOptions {
  /**
   * Encode every response with zod too and fail (500) unless it agrees with the compiled
   * output: development and test, never production.
   */
  verify: boolean;
  /** Told how each response is serialized (tests check that every route's schema converts). */
  onCompile?: (choice: ResponseSerializerChoice) => void;
}

type Serialize = (data: unknown) => string;

/**
 * A response the compiled serializer could not write, or (with `verify`) wrote differently from
 * zod: a 500, as zod's ResponseSerializationError (whose `cause` is a ZodError; this one's is not).
 */
export class ResponseSerializationFailure extends Error {
  readonly code = 'FST_ERR_RESPONSE_SERIALIZATION';
  readonly statusCode = 500;
  constructor(method: string, url: string, cause: unknown) {
    super(`The response of ${method} ${url} doesn't match its schema`, { cause });
    this.name = 'ResponseSerializationFailure';
  }
}

/** The `timestamp` codec's encoding (Date -> toISOString), which fast-json-stringify matches. */
const timestampEncode = timestamp._zod.def.reverseTransform;

/** zod types whose JSON Schema fast-json-stringify writes exactly as zod's encode + JSON.stringify. */
const FAITHFUL = new Set([
  'object',
  'array',
  'string',
  'number',
  'int',
  'boolean',
  'null',
  'literal',
  'enum',
  'nullable',
  'optional',
  'readonly',
  'unknown',
  'any',
  // A Date: JSON.stringify writes toISOString(), as fast-json-stringify does for date-time.
  'date',
]);

/** A media type whose body is JSON: none given (a plain response schema), `…/json` or `…+json`. */
const isJson = (contentType: string | undefined) =>
  contentType === undefined || /^application\/(?:[\w.-]+\+)?json$/i.test(contentType);

/**
 * The JSON Schema fast-json-stringify compiles for a zod response schema, as the wire sees it;
 * or, as a string, why it cannot be converted faithfully.
 */
export function responseJsonSchema(schema: unknown): object | string {
  if (!(schema instanceof z.ZodType)) return 'not a zod schema';
  const whole = schema._zod.def.type;
  if (whole === 'any' || whole === 'unknown') return `a ${whole} response: nothing to compile`;
  let unfaithful: string | undefined;
  let converted: object;
  try {
    converted = z.toJSONSchema(schema, {
      io: 'output',
      // OpenAPI 3.0's `nullable: true`, which fast-json-stringify writes directly; the other
      // targets say `anyOf: [X, {type: null}]`, which it resolves with Ajv on every value.
      target: 'openapi-3.0',
      // No registry: every schema inlined (no `$ref` to components this document lacks).
      metadata: z.registry(),
      cycles: 'throw',
      reused: 'inline',
      unrepresentable: ({ zodSchema }) =>
        zodSchema._zod.def.type === 'date' ? { type: 'string', format: 'date-time' } : 'throw',
      override: ({ zodSchema, jsonSchema }) => {
        const def = zodSchema._zod.def;
        if (def.type === 'pipe') {
          // The timestamp codec: written as its output (a Date, `format: date-time`), whose
          // encoding is toISOString, as fast-json-stringify's. Any other pipe may change the value.
          if (!('reverseTransform' in def) || def.reverseTransform !== timestampEncode) {
            unfaithful ??= 'a pipe or codec other than `timestamp`';
          }
        } else if (!FAITHFUL.has(def.type)) {
          unfaithful ??= `a ${def.type}`;
        }
        if (def.type === 'object' && Array.isArray(jsonSchema.required)) {
          // fast-json-stringify writes required properties first, then the others; zod (and so
          // today's wire) writes them in the order the schema declares them. Only the required
          // properties declared before the first optional one stay `required`, so the order is
          // the declared one; a later required property missing is left out instead of a 500
          // (`verify` still refuses it outside production). zod accepts an absent
          // `z.unknown()`/`z.any()` value (JSON.stringify leaves it out): not required either.
          const required = new Set(jsonSchema.required);
          const shape: Record<string, z.core.$ZodType | undefined> = (zodSchema as z.ZodObject)._zod.def
            .shape;
          const leading: string[] = [];
          for (const key of Object.keys(jsonSchema.properties ?? {})) {
            const type = shape[key]?._zod.def.type;
            if (!required.has(key) || type === 'unknown' || type === 'any') break;
            leading.push(key);
          }
          jsonSchema.required = leading;
        }
      },
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return unfaithful ?? converted;
}

/**
 * fastify-type-provider-zod's serializer compiler with compiled serializers: see the top of this
 * file. Compiled serializers are shared by every route answering with the same zod schema (the
 * problem responses of every /v1 route).
 */
export function createResponseSerializerCompiler(
  options: ResponseSerializerOptions,
): FastifySerializerCompiler<unknown> {
  const compiled = new WeakMap<object, { schema: object; serialize: Serialize } | { reason: string }>();
  const convert = (schema: unknown) => {
    if (typeof schema !== 'object' || schema === null) return { reason: 'not a zod schema' };
    let entry = compiled.get(schema);
    if (!entry) {
      const jsonSchema = responseJsonSchema(schema);
      entry =
        typeof jsonSchema === 'string'
          ? { reason: jsonSchema }
          : { schema: jsonSchema, serialize: fastJson(jsonSchema) as Serialize };
      compiled.set(schema, entry);
    }
    return entry;
  };

  return (route) => {
    const { schema, method, url, httpStatus, contentType } = route;
    const zodSerialize = zodSerializerCompiler(route as Parameters<typeof zodSerializerCompiler>[0]);
    const entry = isJson(contentType) ? convert(schema) : { reason: `${contentType} is not JSON` };
    options.onCompile?.({
      method,
      url,
      httpStatus,
      contentType,
      schema,
      serializer: 'reason' in entry ? { zod: entry.reason } : { compiled: entry.schema },
    });
    if ('reason' in entry) return zodSerialize;

    const { serialize } = entry;
    if (!options.verify) {
      return (data) => {
        try {
          return serialize(data);
        } catch (error) {
          // A required property missing, a value that cannot be written as its type (a number
          // for a date-time): a 500, as zod's refusal, naming the route.
          throw new ResponseSerializationFailure(method, url, error);
        }
      };
    }
    return (data) => {
      // zod's check first: a handler returning the wrong shape fails as it always did.
      const expected = zodSerialize(data);
      let written: string;
      try {
        written = serialize(data);
      } catch (error) {
        throw new ResponseSerializationFailure(method, url, error);
      }
      if (written !== expected) {
        let at = 0;
        while (written[at] === expected[at]) at++;
        const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 20), at + 40));
        throw new ResponseSerializationFailure(
          method,
          url,
          new Error(
            `the compiled serializer wrote ${around(written)} where zod writes ${around(expected)} (at ${at})`,
          ),
        );
      }
      return written;
    };
  };
}
