#!/usr/bin/env bash
# The database roles of compose's prod profile, created once, when the image's entrypoint
# initializes an empty data volume (it runs /docker-entrypoint-initdb.d/*.sh as the superuser).
#
#   keelson_owner  owns the database, its `public` schema and every table: the migrations run as it
#                  (MIGRATION_DATABASE_URL of the task-runner, and `node dist/migrate.js`).
#   keelson_app    what the api, the agent and the task-runner's jobs connect as (DATABASE_URL):
#                  reads and writes rows, cannot create, alter or drop anything, owns nothing.
#
# The superuser (`postgres`, POSTGRES_PASSWORD_FILE) is for an operator only; no app has it.
#
# Safe to run again on an existing volume (every statement is idempotent), e.g. to rotate a password
# or to add the roles to a volume created before they existed:
#   docker compose --profile prod exec postgres-prod bash /docker-entrypoint-initdb.d/10-roles.sh
# (the tables an older version created as another role still need `ALTER TABLE … OWNER TO keelson_owner`).
#
# No `set -e` and no `exit`: the entrypoint may source this file rather than run it. psql stops at
# the first failing statement (ON_ERROR_STOP) and its exit status fails the initialization.

# The entrypoint exports POSTGRES_USER and POSTGRES_DB; run by hand, the image's defaults apply.
# psql reads the passwords itself (backticks below): they never appear on a command line.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-keelson}" <<'SQL'
\set owner_password `cat /run/secrets/postgres-owner-password`
\set app_password `cat /run/secrets/postgres-app-password`

-- Login roles without any attribute beyond LOGIN: not superuser, no CREATEDB/CREATEROLE, no
-- replication, row-level security applies to them.
SELECT 'CREATE ROLE keelson_owner' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keelson_owner')
\gexec
SELECT 'CREATE ROLE keelson_app' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keelson_app')
\gexec
ALTER ROLE keelson_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';
ALTER ROLE keelson_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';

-- The owner owns the database (so it may create the migrator's `drizzle` schema) and `public`.
SELECT format('ALTER DATABASE %I OWNER TO keelson_owner', current_database())
\gexec
ALTER SCHEMA public OWNER TO keelson_owner;
-- Nobody else creates objects in `public` (PostgreSQL 15+ already revokes it from PUBLIC; older
-- versions do not). Connecting is for these two roles only, and temporary tables for neither.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database())
\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO keelson_app', current_database())
\gexec
GRANT USAGE ON SCHEMA public TO keelson_app;

-- pgvector is not a trusted extension: only a superuser may create it. The first migration's
-- `CREATE EXTENSION IF NOT EXISTS vector` then finds it and does nothing (as on a managed
-- Postgres, where the platform's administrator role has created it).
CREATE EXTENSION IF NOT EXISTS vector;

-- What the migrations will create, as keelson_owner, is usable by the app role from the start:
-- rows of every table in `public` (and the sequences behind identity columns) …
ALTER DEFAULT PRIVILEGES FOR ROLE keelson_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO keelson_app;
ALTER DEFAULT PRIVILEGES FOR ROLE keelson_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO keelson_app;
-- … and, read-only, the migrator's own `drizzle` schema: readiness checks that every migration is
-- recorded there; the app role can never record one.
ALTER DEFAULT PRIVILEGES FOR ROLE keelson_owner GRANT USAGE ON SCHEMAS TO keelson_app;
ALTER DEFAULT PRIVILEGES FOR ROLE keelson_owner GRANT SELECT ON TABLES TO keelson_app;

-- Run again on a volume that already has tables: the same privileges on what exists.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO keelson_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO keelson_app;
SELECT 'GRANT USAGE ON SCHEMA drizzle TO keelson_app' FROM pg_namespace WHERE nspname = 'drizzle'
\gexec
SELECT 'GRANT SELECT ON ALL TABLES IN SCHEMA drizzle TO keelson_app' FROM pg_namespace WHERE nspname = 'drizzle'
\gexec
SQL
