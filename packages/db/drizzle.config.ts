import { defineConfig } from 'drizzle-kit';

// `pnpm db:generate` diffs the schema against migrations/meta and writes the next SQL migration.
// Generating needs no database; applying is the migrator's job (src/migrator.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './migrations',
  strict: true,
  verbose: true,
});
