import openapiTS, { astToString } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';

export const OPENAPI_URL = new URL('../../../openapi.json', import.meta.url);
export const SCHEMA_PATH = new URL('../src/api/schema.ts', import.meta.url).pathname;

const HEADER = `/**
 * The api's paths and schemas as TypeScript types, generated from openapi.json by
 * openapi-typescript: \`pnpm --filter @repo/web generate\`. Do not edit; test/schema.test.ts fails
 * when this file is not what the current openapi.json generates.
 */

`;

/** src/api/schema.ts as the current openapi.json generates it, formatted by the repository's prettier. */
export async function clientSchema(): Promise<string> {
  const source = HEADER + astToString(await openapiTS(OPENAPI_URL));
  return format(source, { ...(await resolveConfig(SCHEMA_PATH)), filepath: SCHEMA_PATH });
}
