#!/usr/bin/env sh
# Creates the secrets of compose's prod profile in ./secrets/ (git-ignored), one file each:
#
#   jwt-secret          HS256 signing secret of the api             → JWT_SECRET_FILE
#   service-auth-token  the token internal callers present (api, task-runner → agent)
#                                                                   → SERVICE_AUTH_TOKEN_FILE
#   postgres-password   the database password                       → POSTGRES_PASSWORD_FILE
#   database-url        postgres://keelson:<that password>@postgres:5432/keelson
#                                                                   → DATABASE_URL_FILE
#
# The apps read a whole connection string from one secret file, so the URL is written here, from
# the same password, instead of being assembled at run time (which would need a shell or a wrapper
# in every image).
#
# Idempotent: an existing file is never overwritten (rotating a secret is deleting its file and
# running this again; for the password, also change it in Postgres — the data volume keeps the
# old one — and delete database-url with it). Safe to run before every `up`.
#
#   scripts/create-secrets.sh [DIR]     (default: ./secrets next to compose.yaml)
set -eu

dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/secrets}

# 48 random bytes (384 bits) for the secrets the api compares or signs with: well above the
# 32 bytes production requires (@repo/config MIN_SECRET_BYTES). Hex for the password, so the URL
# needs no percent-encoding.
random_base64() { openssl rand -base64 48 | tr -d '\n'; }
random_hex() { openssl rand -hex 32; }

command -v openssl >/dev/null 2>&1 || { echo "create-secrets: openssl is required" >&2; exit 1; }

# The folder is private to its owner. The files inside are world-readable on purpose: compose
# bind-mounts a `file:` secret with the file's own mode and owner (it cannot change them outside
# Swarm), and the apps run as uid 1000 (`node`), not as whoever runs this script. Nobody else can
# reach them through the 0700 folder.
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

write jwt-secret "$(random_base64)"
write service-auth-token "$(random_base64)"
write postgres-password "$(random_hex)"
# From the password on disk (new or kept), so the two always match.
write database-url "postgres://keelson:$(cat "$dir/postgres-password")@postgres:5432/keelson"

# A kept database-url that no longer carries the kept password would fail every connection.
case "$(cat "$dir/database-url")" in
  *":$(cat "$dir/postgres-password")@"*) ;;
  *) echo "create-secrets: database-url does not contain postgres-password; delete database-url and run again" >&2
     exit 1 ;;
esac
