/**
 * Connection-level failures: the network or a dependency's server said "not now", not "your
 * request is wrong" and not "this code is broken". A request that failed on one deserves a 503
 * with Retry-After (the same request will work once the dependency is back), not a 500.
 */
const SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  // DNS did not answer in time: in Docker, also a stopped container's name.
  'EAI_AGAIN',
  'EPIPE',
  // A TLS handshake the client refused: the server's certificate is not trusted, not valid now or
  // not for this host. A misconfiguration, but of the connection: every request through it fails
  // alike until an operator fixes it, and the replica is unavailable, not its code broken.
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * @repo/db's error for a connection its TLS settings made fail (it names the variable to fix),
 * recognised by name: this package does not depend on the database's.
 */
const CONNECTION_ERROR_NAMES = new Set(['DatabaseTlsError']);

/**
 * SQLSTATEs of a server that cannot serve this connection right now: class 08 (connection
 * exception), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting
 * up or shutting down), 53300 too many connections.
 */
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** node-postgres and pg-pool say these without a code. */
const MESSAGES = [
  // "Connection terminated unexpectedly", "… due to connection timeout": the socket went away.
  /^Connection terminated\b/,
  // pg-pool: no connection could be made (or none freed up) within connectionTimeoutMillis.
  /^timeout exceeded when trying to connect$/,
  // A client whose connection broke earlier, used again.
  /^Client has encountered a connection error and is not queryable$/,
  // node-postgres `query_timeout`: no answer on a connection. Set above statement_timeout, it
  // fires only when the server or the network is gone (a live server cancels first, 57014).
  /^Query read timeout$/,
  // node-postgres: the server answered the TLS request with "no".
  /^The server does not support SSL connections$/,
];

/**
 * The error in `error`'s chain (itself, its `cause`s, an AggregateError's `errors`) that says a
 * connection failed, or undefined when there is none. Returned rather than a boolean so the log
 * names the root cause, not the wrapper (a wrapper such as drizzle's holds the query and its
 * parameters, which are the caller's data).
 */
export function connectionFailure(error: unknown, depth = 0): Error | undefined {
  if (!(error instanceof Error) || depth > 8) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SYSTEM_CODES.has(code) || SQLSTATE.test(code))) return error;
  if (CONNECTION_ERROR_NAMES.has(error.name)) return error;
  if (MESSAGES.some((pattern) => pattern.test(error.message))) return error;
  const nested = error instanceof AggregateError ? (error.errors as unknown[]) : [];
  for (const inner of [error.cause, ...nested]) {
    const found = connectionFailure(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
