#!/bin/bash
# Test-only (startTlsPostgres in ../src/tls-postgres.ts): TLS on, with the certificates mounted at
# /tls, and TCP connections accepted over TLS only, as managed Postgres does it (RDS's
# rds.force_ssl=1 rewrites pg_hba.conf to `hostssl` the same way). The image's entrypoint runs it
# once, when it initialises an empty data directory, as root or as postgres depending on the image:
# hence `install` (owner: whoever runs it) and the chown for root.
install -m 0600 /tls/server.key "$PGDATA/server.key"
install -m 0644 /tls/server.crt "$PGDATA/server.crt"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA/server.key" "$PGDATA/server.crt"; fi

cat >>"$PGDATA/postgresql.conf" <<'CONF'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF

# No `host` line: a connection over TCP without TLS matches nothing and is refused.
cat >"$PGDATA/pg_hba.conf" <<'HBA'
local all all trust
hostssl all all all scram-sha-256
HBA
