#!/bin/sh
# Starts radosgw with one user (the apps' credentials) and one bucket, both created if missing,
# so `docker compose up` needs no manual step. Credentials come from RGW_ACCESS_KEY /
# RGW_SECRET_KEY or, better, RGW_ACCESS_KEY_FILE / RGW_SECRET_KEY_FILE (compose secrets).
set -eu

# secret NAME: the value of $NAME, or the contents of the file $NAME_FILE names.
secret() {
  eval "value=\${$1:-}"
  eval "file=\${$1_FILE:-}"
  if [ -n "$file" ]; then
    [ -r "$file" ] || { echo "radosgw: $1_FILE=$file is not a readable file" >&2; exit 1; }
    value=$(cat "$file")
  fi
  [ -n "$value" ] || { echo "radosgw: set $1 or $1_FILE" >&2; exit 1; }
  printf '%s' "$value"
}

access_key=$(secret RGW_ACCESS_KEY)
secret_key=$(secret RGW_SECRET_KEY)
bucket=${RGW_BUCKET:?radosgw: set RGW_BUCKET, the bucket to create}
user=${RGW_USER:-keelson}
mkdir -p /tmp/ceph/crash

# radosgw-admin of Ceph 18.2 on dbstore may hang at exit once its work is done (seen under the
# prod profile's CPU limit: the user was written, the process never ended). Every call is bounded
# by `timeout`, and what it did is checked by reading the user back.
admin() { timeout -k 2 10 radosgw-admin -n client.rgw --no-mon-config "$@" 2>/dev/null || true; }

# The user is created once, with the key of the first start. It is never modified afterwards:
# on the dbstore backend (Ceph 18.2) changing an existing user (`key create`, `user modify`)
# detaches its buckets, so every stored file would be lost. A start with other credentials than
# the stored ones stops here instead, saying so.
info=$(admin user info --uid "$user")
case "$info" in
  *"\"user_id\": \"$user\""*) ;;
  *)
    admin user create --uid "$user" --display-name "$user" --access-key "$access_key" \
      --secret-key "$secret_key" >/dev/null
    info=$(admin user info --uid "$user")
    ;;
esac
case "$info" in
  *"\"access_key\": \"$access_key\""*"\"secret_key\": \"$secret_key\""*) ;;
  *"\"user_id\": \"$user\""*)
    echo "radosgw: user $user exists in /var/lib/ceph/radosgw with another key than RGW_ACCESS_KEY/RGW_SECRET_KEY; restore the earlier credentials (an empty volume starts anew, without the stored files)" >&2
    exit 1
    ;;
  *)
    echo "radosgw: could not create user $user" >&2
    exit 1
    ;;
esac

# The bucket, through the S3 API once radosgw answers (radosgw-admin cannot create one), signed
# with the user's key by curl's SigV4. PUT on a bucket the user owns already is a 200. The marker
# is what the healthcheck waits for: no app starts before its bucket exists.
rm -f /tmp/rgw-ready
(
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null http://127.0.0.1:7480/ 2>/dev/null; then
      if curl -fsS -o /dev/null -X PUT --aws-sigv4 'aws:amz:us-east-1:s3' \
        --user "$access_key:$secret_key" "http://127.0.0.1:7480/$bucket"; then
        echo "radosgw: bucket $bucket ready"
        touch /tmp/rgw-ready
      else
        echo "radosgw: could not create bucket $bucket" >&2
      fi
      exit 0
    fi
    sleep 0.5
  done
  echo "radosgw: no answer on :7480 after 60 s" >&2
) &

exec radosgw -n client.rgw --no-mon-config --foreground
