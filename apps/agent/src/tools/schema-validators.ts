import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation';
import { LRUCache } from 'lru-cache';

/**
 * The MCP client's validators of tool output schemas, compiled once per distinct schema.
 *
 * The SDK's default (`AjvJsonSchemaValidator`) compiles every tool's output schema again on every
 * `listTools`, and Ajv keeps every compilation for the life of the process
 * (modelcontextprotocol/typescript-sdk#2605). The agent lists tools on every turn, so it grew by
 * ~40 KB a turn until its heap ran out: 503 MB RSS and a major GC per few turns after ~7,500 turns
 * (tests/bench/README.md). Here a schema's JSON text is the key; a new schema is compiled by an Ajv
 * of its own, so a validator dropped from this bounded cache takes its compilation with it.
 */
export function createSchemaValidators(max = 256): jsonSchemaValidator {
  const compiled = new LRUCache<string, JsonSchemaValidator<unknown>>({ max });
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      const key = JSON.stringify(schema);
      let validator = compiled.get(key);
      if (!validator) {
        validator = new AjvJsonSchemaValidator().getValidator<unknown>(schema);
        compiled.set(key, validator);
      }
      return validator as JsonSchemaValidator<T>;
    },
  };
}
