import { database, migrationDatabase, parseEnv, runtime } from '@repo/config';
import { z } from 'zod';

const schema = z.object({ ...runtime, DATABASE_URL: database.DATABASE_URL, ...migrationDatabase });

export type MigrateConfig = z.infer<typeof schema>;

export function loadMigrateConfig(env = process.env): MigrateConfig {
  return parseEnv(schema, env);
}
