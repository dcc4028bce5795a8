export { ConfigError, parseEnv, type Env } from './parse-env.ts';
export { isSecret, secret } from './secret.ts';
export { booleanString, database, http, int, queue, redis, runtime } from './schemas.ts';
