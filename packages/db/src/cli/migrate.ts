#!/usr/bin/env node
/**
 * One-off migration command for platforms with a pre-deploy step (Render, ECS run-task, Railway):
 *   node dist/cli/migrate.js            (or `pnpm db:migrate` in the repository)
 * It connects to MIGRATION_DATABASE_URL, or to DATABASE_URL when that is unset.
 * Exit code 0 when the schema is up to date, 1 on any failure, with the reason on stderr.
 */
import { ConfigError, migrationConnection } from '@repo/config';
import { pino } from 'pino';
import { runMigrations } from '../migrator.ts';
import { loadMigrateConfig } from './config.ts';

let config;
try {
  config = loadMigrateConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const logger = pino({ level: config.LOG_LEVEL, base: { service: 'migrate' } });
try {
  // As the schema's owner when MIGRATION_DATABASE_URL names one (the apps' role cannot migrate).
  await runMigrations({ ...migrationConnection(config), logger });
} catch (error) {
  logger.fatal({ err: error }, 'migration failed');
  process.exitCode = 1;
}
