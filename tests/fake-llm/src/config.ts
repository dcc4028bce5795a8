import { int, parseEnv, type Env } from '@repo/config';
import { z } from 'zod';

const schema = z.object({ PORT: int(1, 65535).default(8080), HOST: z.string().default('0.0.0.0') });

export function loadConfig(env: Env = process.env) {
  return parseEnv(schema, env);
}
