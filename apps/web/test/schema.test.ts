import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { clientSchema, SCHEMA_PATH } from '../scripts/client-schema.ts';

it('src/api/schema.ts is generated from the current openapi.json (run `pnpm --filter @repo/web generate`)', async () => {
  expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(await clientSchema());
});
