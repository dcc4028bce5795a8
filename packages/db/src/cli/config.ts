import { databaseConnection, migrationDatabase, parseEnv, refineDatabase, runtime } from '@repo/config';
import { z } from 'zod';

const schema = z
  .object({ ...runtime, ...databaseConnection, ...migrationDatabase })
  .superRefine(refineDatabase);

export type MigrateConfig = z.infer<typeof schema>;

export function loadMigrateConfig(env = process.env): MigrateConfig {
  return parseEnv(schema, env);
}
