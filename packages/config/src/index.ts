export { ConfigError, configProblems, parseEnv, type Env } from './parse-env.ts';
export { listen, listenAddress, serviceUrl } from './network.ts';
export { isSecret, secret } from './secret.ts';
export {
  booleanString,
  database,
  http,
  int,
  migrationDatabase,
  migrationUrl,
  queue,
  redis,
  runtime,
} from './schemas.ts';
export {
  commaList,
  cors,
  jwt,
  MIN_SECRET_BYTES,
  productionProblems,
  serviceAuth,
  trustProxy,
  weakSecretReason,
  type SecurityConfig,
} from './security.ts';
