import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Where a server listens, and where it finds the stack's other services. Both are written by
 * platform configurations (Railway, Render, ECS, compose), so they accept exactly the forms those
 * produce and explain any other value.
 */

/**
 * The address a server listens on: an IP literal. `0.0.0.0` is every IPv4 interface; `::` is every
 * IPv6 interface and, on Linux, IPv4 too, which IPv6-only private networks (older Railway
 * environments) need. A hostname is refused: Node would listen on one of its addresses only.
 */
export const listenAddress = z.string().refine((value) => isIP(value) !== 0, {
  message:
    'expected an IP address to listen on: 0.0.0.0 (every IPv4 interface), :: (every IPv6 and IPv4 interface) or one interface address',
});

/** `HOST`, for an app whose server(s) listen on one address. */
export const listen = {
  HOST: listenAddress.default('0.0.0.0'),
};

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A DNS name or IPv4 literal (labels of letters, digits, `-`, `_`), or a bracketed IPv6 literal, then a port. */
const HOST_PORT =
  /^((?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?|\[[0-9a-f:.]+\]):(\d{1,5})$/i;

/**
 * The base URL of another service of the stack: an `http://` or `https://` URL, taken as written,
 * or a scheme-less `host:port`, read as `http://host:port` followed by `path`. The second form is
 * what a Render Blueprint gives (`fromService … property: hostport`): a Blueprint cannot add a
 * scheme or a path, and traffic on a private network is plain HTTP.
 */
export function serviceUrl(options: { path?: `/${string}` } = {}) {
  const path = options.path ?? '';
  const message = `expected an http:// or https:// URL, or host:port (read as http://host:port${path})`;
  return z.string().transform((value, context) => {
    const url = toServiceUrl(value, path);
    if (url === undefined) {
      context.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return url;
  });
}

function toServiceUrl(value: string, path: string): string | undefined {
  if (SCHEME.test(value)) {
    const url = parseUrl(value);
    return url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
      ? value
      : undefined;
  }
  const match = HOST_PORT.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65_535) return undefined;
  const built = `http://${match[1]}:${port}${path}`;
  // The URL parser has the last word on the host (an IPv6 literal, an IPv4 with a number > 255).
  return parseUrl(built) ? built : undefined;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
