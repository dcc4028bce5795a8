#!/usr/bin/env sh
# Creates the secrets of compose's prod profile in ./secrets/ (git-ignored), one file each:
#
#   jwt-secret               HS256 signing secret of the api            → JWT_SECRET_FILE
#   api-key-pepper           the key of the HMAC API keys are stored as → API_KEY_PEPPER_FILE
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
#   storage-access-key-id    the key of the S3 server's one user (docker/radosgw creates it at
#   storage-secret-access-key  its first start), which the api and the task-runner sign with
#                            → S3_ACCESS_KEY_ID_FILE, S3_SECRET_ACCESS_KEY_FILE (apps),
#                              RGW_ACCESS_KEY_FILE, RGW_SECRET_KEY_FILE (s3-prod)
#
# The apps read a whole connection string from one secret file, so the URLs are written here, from
# the same passwords, instead of being assembled at run time (which would need a shell or a wrapper
# in every image).
#
# Idempotent: an existing file is never overwritten (rotating a secret is deleting its file and the
# files written from it, and running this again; for a Postgres password, also run the roles
# script again — the data volume keeps the old one; see 10-roles.sh; the S3 server keeps the key of
# its first start and refuses another, see docker/radosgw/entrypoint.sh). Safe to run before every `up`.
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
write api-key-pepper "$(random_base64)"
write postgres-password "$(random_hex)"
write postgres-owner-password "$(random_hex)"
write postgres-app-password "$(random_hex)"
write redis-password "$(random_hex)"
# 16 random bytes as hex: an identifier (it appears in the server's logs), not the secret.
write storage-access-key-id "$(openssl rand -hex 16)"
write storage-secret-access-key "$(random_hex)"

owner_password=$(cat "$dir/postgres-owner-password")
app_password=$(cat "$dir/postgres-app-password")
redis_password=$(cat "$dir/redis-password")

# From the passwords on disk (new or kept), so each pair always matches.
write migration-database-url "postgres://keelson_owner:$owner_password@postgres:5432/keelson"
write database-url "postgres://keelson_app:$app_password@postgres:5432/keelson"
write redis-url "redis://keelson:$redis_password@redis:6379"
# `default` is off: a connection that has not authenticated can run nothing (NOAUTH), and nobody
# can authenticate as `default`. It keeps every permission all the same, because Redis replays
# the append-only file as `default` and re-checks its permissions at each EXEC: a `default` that
# may not run BullMQ's transactions silently drops every job of the file on restart (Redis
# 7.2–8.0; redis/redis#14541, fixed upstream later). `keelson` may run every command on every key
# and channel: BullMQ uses scripting, INFO, CLIENT LIST and pub/sub; its password keeps other
# containers out.
redis_acl="user default off nopass ~* &* +@all
user keelson on #$(sha256_of "$redis_password") ~* &* +@all
"
# A redis-acl kept from an earlier version of this script (its `default` could PING only) loses
# the queue on every Redis restart: it is derived from redis-password alone, so rewrite it.
if [ -e "$dir/redis-acl" ] && grep -q '^user default on nopass' "$dir/redis-acl"; then
  rm "$dir/redis-acl"
  echo "create-secrets: redis-acl is from an earlier version (Redis would drop queued jobs on restart), rewritten"
fi
write redis-acl "$redis_acl"

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
