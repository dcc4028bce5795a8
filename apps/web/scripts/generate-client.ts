/** Writes src/api/schema.ts from the repository's openapi.json: `pnpm --filter @repo/web generate`. */
import { writeFileSync } from 'node:fs';
import { clientSchema, SCHEMA_PATH } from './client-schema.ts';

writeFileSync(SCHEMA_PATH, await clientSchema());
process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
