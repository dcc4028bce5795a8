export {
  connectionConfig,
  createClient,
  DatabaseTlsError,
  explainConnectFailure,
  type ClientOptions,
  type DatabaseConnection,
} from './connection.ts';
export { createDatabase, type Database, type Transaction } from './client.ts';
export {
  checkMigrations,
  createMigrationGate,
  MIGRATIONS_FOLDER,
  readBundledMigrations,
  type BundledMigration,
  type MigrationGate,
  type MigrationStatus,
} from './migrations.ts';
export { prepareFlatSelect, type FlatSelect, type PreparedFlatSelect } from './flat-select.ts';
export { MIGRATION_LOCK_KEY, runMigrations, type MigrateOptions, type MigrateResult } from './migrator.ts';
export { countOpenTasks, OPEN_TASK_STATUSES } from './open-tasks.ts';
export { createPool, type Pool, type PoolOptions } from './pool.ts';
export { runQuotaCte, runQuotaUsage, type RunQuotaLimits, type RunQuotaUsage } from './run-quotas.ts';
export * from './schema/index.ts';
