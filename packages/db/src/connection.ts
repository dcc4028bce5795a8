import type { ConnectionOptions } from 'node:tls';
import { URL_TLS_PARAMETERS, type DatabaseTls } from '@repo/config';
import pg from 'pg';

/**
 * Every connection @repo/db opens (the pool's, the migrator's, the task-runner's leader lock)
 * is built here, so TLS is applied to each the same way. The settings come from @repo/config
 * (`databaseTls(config)`), which has already refused contradictory ones with a config error.
 */

export interface DatabaseConnection {
  connectionString: string;
  tls: DatabaseTls;
}

/** node-postgres's `ssl` option for a mode: what libpq's sslmode of the same name does. */
function sslOptions(tls: DatabaseTls): false | ConnectionOptions {
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'require':
      // Encrypted, but any certificate is accepted: protects against a passive eavesdropper only.
      return { rejectUnauthorized: false };
    case 'verify-full':
      // Node checks the chain against `ca` (or its built-in store) and the host name against the
      // certificate: node-postgres passes the URL's host as the TLS server name.
      return tls.ca === undefined ? { rejectUnauthorized: true } : { rejectUnauthorized: true, ca: tls.ca };
  }
}

/**
 * The connection string node-postgres gets: without `sslmode`, because any TLS parameter in the
 * URL replaces the `ssl` option (node-postgres merges the parsed URL over the config) and
 * pg-connection-string's reading of `sslmode` depends on its version. The config accepted the
 * URL's `sslmode` only if it agrees with the mode in force; a caller that bypassed the config is
 * stopped here rather than silently connecting another way.
 */
function withoutTlsParameters(connectionString: string, tls: DatabaseTls): string {
  if (!/[?&](ssl|uselibpqcompat)/i.test(connectionString)) return connectionString;
  const url = new URL(connectionString);
  for (const name of Object.keys(URL_TLS_PARAMETERS)) {
    if (url.searchParams.has(name)) throw new Error(`DATABASE_URL: ${name} is not supported here`);
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode === null) return connectionString;
  if (sslmode !== tls.mode) {
    throw new Error(`DATABASE_URL says sslmode=${sslmode} but the connection is configured for ${tls.mode}`);
  }
  url.searchParams.delete('sslmode');
  return url.toString();
}

/** `connectionString` and `ssl` for a node-postgres Client or Pool. */
export function connectionConfig(connection: DatabaseConnection): {
  connectionString: string;
  ssl: false | ConnectionOptions;
} {
  return {
    connectionString: withoutTlsParameters(connection.connectionString, connection.tls),
    ssl: sslOptions(connection.tls),
  };
}

/** TLS verification failures (OpenSSL's codes, as Node reports them): the CA is not trusted. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const NOT_NOW_VALID = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** A connection that failed because of its TLS settings; the message names the variable to fix. */
export class DatabaseTlsError extends Error {
  /** The original error's code, so code-based checks (e.g. "is this transient?") see the same. */
  readonly code: string | undefined;

  constructor(message: string, cause: Error) {
    super(message, { cause });
    this.name = 'DatabaseTlsError';
    this.code = (cause as { code?: string }).code;
  }
}

/**
 * The TLS reason a connection attempt failed, as an error that says what to change; any other
 * error is returned as it is. Node's and Postgres's own messages name the symptom ("self-signed
 * certificate in certificate chain", "no pg_hba.conf entry … no encryption"), not the setting.
 */
export function explainConnectFailure(error: unknown, tls: DatabaseTls): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNTRUSTED.has(code) && tls.mode === 'verify-full') {
    const trusted =
      tls.ca === undefined
        ? "Node's built-in CA store (DATABASE_SSL_CA is not set)"
        : 'the CAs of DATABASE_SSL_CA (or of the file DATABASE_SSL_CA_FILE names)';
    return new DatabaseTlsError(
      `Postgres's TLS certificate is not signed by a trusted CA (${error.message}). DATABASE_SSL_MODE=verify-full trusts ${trusted}: set DATABASE_SSL_CA or DATABASE_SSL_CA_FILE to your Postgres provider's CA bundle (Amazon RDS: the bundle of the instance's region)`,
      error,
    );
  }
  if (typeof code === 'string' && NOT_NOW_VALID.has(code)) {
    return new DatabaseTlsError(
      `Postgres's TLS certificate is not valid now (${error.message}): renew it on the server, or check this machine's clock`,
      error,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new DatabaseTlsError(
      `Postgres's TLS certificate does not name the host of DATABASE_URL (${error.message}). DATABASE_SSL_MODE=verify-full checks it: connect by a name the certificate lists (for RDS, the endpoint itself, not an IP address or an alias), or use DATABASE_SSL_MODE=require, which encrypts without authenticating the server`,
      error,
    );
  }
  if (error.message === 'The server does not support SSL connections') {
    return new DatabaseTlsError(
      `Postgres does not accept TLS connections, and DATABASE_SSL_MODE=${tls.mode} requires TLS: turn TLS on at the server, or set DATABASE_SSL_MODE=disable where the network is private`,
      error,
    );
  }
  // 28000 invalid_authorization_specification: pg_hba.conf has no entry for this connection. When
  // the only entries are `hostssl`, Postgres says so by naming the encryption it did not get.
  if (code === '28000' && tls.mode === 'disable' && /no encryption|SSL off/.test(error.message)) {
    return new DatabaseTlsError(
      `Postgres refused a connection without TLS (${error.message}): set DATABASE_SSL_MODE=verify-full (or require)`,
      error,
    );
  }
  return error;
}

type ConnectCallback = ((error: Error) => void) | ((error: null, client: pg.Client) => void);

/** A node-postgres Client whose failed connection attempts explain their TLS cause. */
class Client extends pg.Client {
  readonly #tls: DatabaseTls;

  constructor(config: pg.ClientConfig & { tls: DatabaseTls }) {
    const { tls, ...rest } = config;
    super(rest);
    this.#tls = tls;
  }

  override connect(): Promise<pg.Client>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
    // pg-pool connects with a callback, everything else awaits the promise.
    if (callback) {
      const done = callback as (error: Error | null, client?: pg.Client) => void;
      super.connect((error: Error | null, client?: pg.Client) => {
        done(error && (explainConnectFailure(error, this.#tls) as Error), client);
      });
      return;
    }
    return super.connect().catch((error: unknown) => {
      throw explainConnectFailure(error, this.#tls);
    });
  }
}

export type ClientOptions = Omit<pg.ClientConfig, 'connectionString' | 'ssl'> & DatabaseConnection;

/** A single session (not pooled): for work that must stay on one session, such as advisory locks. */
export function createClient(options: ClientOptions): pg.Client {
  const { connectionString, tls, ...rest } = options;
  return new Client({ ...rest, ...connectionConfig({ connectionString, tls }), tls });
}

export type PoolConfig = Omit<pg.PoolConfig, 'connectionString' | 'ssl' | 'Client'> & DatabaseConnection;

/** The `pg.Pool` config for `options`, with the explaining Client. */
export function poolConfig(options: PoolConfig): pg.PoolConfig {
  const { connectionString, tls, ...rest } = options;
  // pg-pool constructs its clients as `new Client(poolOptions)`: the options carry `tls` to them.
  return { ...rest, ...connectionConfig({ connectionString, tls }), tls, Client } as unknown as pg.PoolConfig;
}
