#!/usr/bin/env sh
# Creates the secrets of compose's prod profile in ./secrets/ (git-ignored), one file each:
#
#   jwt-secret               HS256 signing secret of the api            → JWT_SECRET_FILE
#   service-auth-token       the token internal callers present (api, task-runner → agent)
#                                                                       → SERVICE_AUTH_TOKEN_FILE
#   postgres-password        the superuser's (`postgres`), for an operator; no app has it
#                                                                       → POSTGRES_PASSWORD_FILE
#   postgres-owner-password  keelson_owner, which owns the schema and runs the migrations
#   postgres-app-password    keelson_app, which the apps connect as: rows only, no DDL
#                            (both roles: docker/postgres/initdb/10-roles.sh)
#   migration-database-url   postgres://keelson_owner:<owner password>@postgres:5432/keelson
#                                                      → MIGRATION_DATABASE_URL_FILE (task-runner)
#   database-url             postgres://keelson_app:<app password>@postgres:5432/keelson
#                                                                       → DATABASE_URL_FILE
#   redis-password           the password of Redis's `keelson` user
#   redis-url                redis://keelson:<that password>@redis:6379  → REDIS_URL_FILE
#   redis-acl                Redis's users (`--aclfile`): `keelson` with the password's SHA-256,
#                            and `default` (unauthenticated) allowed PING only, for the healthcheck
#
# The apps read a whole connection string from one secret file, so the URLs are written here, from
# the same passwords, instead of being assembled at run time (which would need a shell or a wrapper
# in every image).
#
# Idempotent: an existing file is never overwritten (rotating a secret is deleting its file and the
# files written from it, and running this again; for a Postgres password, also run the roles
# script again — the data volume keeps the old one; see 10-roles.sh). Safe to run before every `up`.
#
#   scripts/create-secrets.sh [DIR]     (default: ./secrets next to compose.yaml)
set -eu

dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/secrets}

# 48 random bytes (384 bits) for the secrets the api compares or signs with: well above the
# 32 bytes production requires (@repo/config MIN_SECRET_BYTES). Hex for the passwords, so the URLs
# need no percent-encoding.
random_base64() { openssl rand -base64 48 | tr -d '\n'; }
random_hex() { openssl rand -hex 32; }
sha256_of() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d ' ' -f 1; }

command -v openssl >/dev/null 2>&1 || { echo "create-secrets: openssl is required" >&2; exit 1; }

# The folder is private to its owner. The files inside are world-readable on purpose: compose
# bind-mounts a `file:` secret with the file's own mode and owner (it cannot change them outside
# Swarm), and the apps run as uid 1000 (`node`), Redis as `redis`, not as whoever runs this script.
# Nobody else can reach them through the 0700 folder.
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

# write NAME VALUE: create $dir/NAME with VALUE unless it exists.
write() {
  if [ -e "$dir/$1" ]; then
    echo "create-secrets: $1 exists, kept"
    return
  fi
  printf '%s' "$2" > "$dir/$1.tmp"
  chmod 644 "$dir/$1.tmp"
  mv "$dir/$1.tmp" "$dir/$1"
  echo "create-secrets: $1 written"
}

# fail MESSAGE: a kept file that no longer matches the kept password it was written from.
fail() {
  echo "create-secrets: $1" >&2
  exit 1
}

write jwt-secret "$(random_base64)"
write service-auth-token "$(random_base64)"
write postgres-password "$(random_hex)"
write postgres-owner-password "$(random_hex)"
write postgres-app-password "$(random_hex)"
write redis-password "$(random_hex)"

owner_password=$(cat "$dir/postgres-owner-password")
app_password=$(cat "$dir/postgres-app-password")
redis_password=$(cat "$dir/redis-password")

# From the passwords on disk (new or kept), so each pair always matches.
write migration-database-url "postgres://keelson_owner:$owner_password@postgres:5432/keelson"
write database-url "postgres://keelson_app:$app_password@postgres:5432/keelson"
write redis-url "redis://keelson:$redis_password@redis:6379"
# `default` is every connection that has not authenticated: it may PING (the healthcheck) and
# nothing else. `keelson` may run every command on every key and channel: BullMQ uses scripting,
# INFO, CLIENT LIST and pub/sub; the password is what keeps other containers out.
write redis-acl "user default on nopass resetchannels -@all +ping
user keelson on #$(sha256_of "$redis_password") ~* &* +@all
"

# A kept file that no longer carries the kept password would fail every connection.
case "$(cat "$dir/migration-database-url")" in
  *"keelson_owner:$owner_password@"*) ;;
  *) fail "migration-database-url does not contain postgres-owner-password; delete migration-database-url and run again" ;;
esac
case "$(cat "$dir/database-url")" in
  *"keelson_app:$app_password@"*) ;;
  *) fail "database-url does not contain postgres-app-password; delete database-url and run again" ;;
esac
case "$(cat "$dir/redis-url")" in
  *"keelson:$redis_password@"*) ;;
  *) fail "redis-url does not contain redis-password; delete redis-url and run again" ;;
esac
grep -q "^user keelson on #$(sha256_of "$redis_password") " "$dir/redis-acl" ||
  fail "redis-acl does not hold the hash of redis-password; delete redis-acl and run again"
