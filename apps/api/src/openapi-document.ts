import { fileURLToPath } from 'node:url';
import type { OpenAPIV3_1 } from 'openapi-types';

/** The committed document, at the repository root where clients and generators look for it. */
export const OPENAPI_PATH = fileURLToPath(new URL('../../../openapi.json', import.meta.url));

/** The app's OpenAPI document as plain JSON (what is written to, and compared with, the file). */
export async function openApiDocument(app: {
  ready(): PromiseLike<unknown>;
  swagger(): unknown;
}): Promise<OpenAPIV3_1.Document> {
  await app.ready();
  return JSON.parse(JSON.stringify(app.swagger())) as OpenAPIV3_1.Document;
}
