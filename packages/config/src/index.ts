export {
  databaseConnection,
  databaseProblems,
  databaseTls,
  DATABASE_SSL_MODES,
  refineDatabase,
  URL_TLS_PARAMETERS,
  type DatabaseConnectionConfig,
  type DatabaseSslMode,
  type DatabaseTls,
} from './database.ts';
export { ConfigError, configProblems, parseEnv, type Env } from './parse-env.ts';
export { listen, listenAddress, serviceUrl } from './network.ts';
export { isSecret, secret } from './secret.ts';
export {
  objectStorageConfig,
  refineStorage,
  storage,
  type ObjectStorageConfig,
} from './storage.ts';
export { booleanString, database, http, int, queue, redis, runtime, sse } from './schemas.ts';
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
