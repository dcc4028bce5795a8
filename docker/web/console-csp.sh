#!/bin/bash
# The web console's entrypoint (docker/web/Dockerfile): writes the Content-Security-Policy the
# console is served with, then runs the command (nginx). The policy is the same for every
# deployment except one directive: with OpenID Connect sign-in (apps/web/README.md, "Signing in")
# the console's own scripts call the identity provider's discovery and token endpoints, so
# `connect-src` must name the provider's origin, known only at run time: CONSOLE_OIDC_ORIGIN.
#
# The file goes to /tmp (the container's only writable place: its root filesystem is read-only);
# security-headers.conf includes it. A value that is not exactly an https origin is refused and
# the container does not start: it lands inside a response header, so it is checked strictly.
set -euo pipefail

origin="${CONSOLE_OIDC_ORIGIN:-}"
connect_src="'self'"
if [[ -n "$origin" ]]; then
  # https, a lowercase host name or IPv4 address, an optional port; no path, no trailing slash,
  # nothing nginx or a browser would read as another directive (spaces, quotes, semicolons).
  if [[ ! "$origin" =~ ^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$ ]]; then
    echo "CONSOLE_OIDC_ORIGIN: expected the identity provider's https origin, like https://login.example.com (scheme, host and optional port; no path or trailing slash) (got \"$origin\")" >&2
    exit 64
  fi
  connect_src="'self' $origin"
fi

# Written whole to a temporary name and renamed, so nginx never reads half a file.
printf 'add_header Content-Security-Policy "default-src '\''none'\''; script-src '\''self'\''; style-src '\''self'\''; img-src '\''self'\'' data:; font-src '\''self'\''; connect-src %s; manifest-src '\''self'\''; base-uri '\''none'\''; form-action '\''self'\''; frame-ancestors '\''none'\''" always;\n' \
  "$connect_src" >/tmp/console-csp.conf.new
mv /tmp/console-csp.conf.new /tmp/console-csp.conf

exec "$@"
