/**
 * The web console's Content-Security-Policy: only this origin's scripts, styles and connections.
 * `connect-src 'self'`: the console calls /v1 on its own origin, so the api needs no CORS; a
 * deployment whose console signs in with an identity provider adds that provider's origin
 * (`connectOrigins`), which the console's own scripts then call (discovery, token endpoint).
 */
export function consoleContentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...connectOrigins].join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The web console's response headers, the same as `docker/web/security-headers.conf` sends from
 * nginx (a test in apps/api compares the two, so neither drifts). They replace the api's own
 * helmet headers on the console's files only: the api's CSP is "nothing may load" (it serves
 * JSON), the console's lets this origin's scripts, styles and connections in.
 */
export function consoleSecurityHeaders(connectOrigins: readonly string[] = []): Record<string, string> {
  return {
    'content-security-policy': consoleContentSecurityPolicy(connectOrigins),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}

/** Vite's output names carry a content hash: cached for a year, never revalidated. */
export const IMMUTABLE_ASSET_CACHE = 'public, max-age=31536000, immutable';
/** index.html (and anything else unhashed): revalidated on every load, so a deploy is seen at once. */
export const REVALIDATED_CACHE = 'no-cache';
