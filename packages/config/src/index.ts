export {
  databaseConnection,
  databaseProblems,
  databaseTls,
  DATABASE_SSL_MODES,
  migrationConnection,
  migrationDatabase,
  refineDatabase,
  URL_TLS_PARAMETERS,
  type DatabaseConnectionConfig,
  type DatabaseSslMode,
  type DatabaseTls,
} from './database.ts';
export { ConfigError, configProblems, parseEnv, type Env } from './parse-env.ts';
export { httpServerTimeouts, type HttpServerTimeouts } from './http-server.ts';
export { listen, listenAddress, serviceUrl } from './network.ts';
export { isSecret, secret } from './secret.ts';
export { objectStorageConfig, refineStorage, storage, type ObjectStorageConfig } from './storage.ts';
export {
  DEVELOPMENT_DATABASE_PASSWORD,
  DEVELOPMENT_API_KEY_PEPPER,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_SERVICE_TOKEN,
  PUBLISHED_SECRETS,
  publishedSecretReason,
} from './published.ts';
export {
  booleanString,
  database,
  DEFAULT_NODE_ENV,
  http,
  int,
  queue,
  redis,
  runQuotas,
  runtime,
  sse,
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
export { costOf, modelPrices, type ModelPrice, type PriceTable } from './prices.ts';
export {
  embedding,
  embeddingModelConfig,
  refineEmbedding,
  type EmbeddingConfig,
  type EmbeddingModelConfig,
} from './embedding.ts';
