import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { secret } from './secret.ts';

/**
 * Where and how the apps connect to Postgres: the URL, and TLS (the pool's limits are in
 * schemas.ts). TLS is set by two variables of its own, read the same way whatever node-postgres
 * version is installed:
 *
 * - `DATABASE_SSL_MODE`: `disable` (plaintext), `require` (encrypted, the server is not
 *   authenticated) or `verify-full` (encrypted, and the certificate must chain to a trusted CA and
 *   name the host of DATABASE_URL). libpq's names, with libpq's meaning.
 * - `DATABASE_SSL_CA` (or `DATABASE_SSL_CA_FILE`, a path): the CAs `verify-full` trusts, as PEM.
 *   Unset: Node's built-in store (Mozilla's CAs), which lacks private CAs such as Amazon RDS's.
 *
 * `sslmode` in DATABASE_URL is honoured with libpq's meaning too, so a provider's URL can be used
 * as given; when DATABASE_SSL_MODE is set as well, the two must agree. Why not leave the URL to
 * node-postgres: pg-connection-string 2.x reads `sslmode=require` as verify-full against Node's
 * store (which refuses RDS), its next major (3.0, with pg 9) will read it as libpq does (no
 * verification at all), and any TLS parameter in the URL replaces the `ssl` options given in code
 * (node-postgres's SSL page). @repo/db takes `sslmode` out of the URL it hands to node-postgres.
 */

export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export type DatabaseSslMode = (typeof DATABASE_SSL_MODES)[number];

/** The TLS settings of every connection to Postgres (the pool, the migrator, the leader lock). */
export type DatabaseTls =
  | { mode: 'disable' }
  | { mode: 'require' }
  /** `ca`: PEM certificates; undefined means Node's built-in CA store. */
  | { mode: 'verify-full'; ca?: string | undefined };

/**
 * Query parameters that node-postgres reads as TLS settings, and what to use instead. `sslmode`
 * is read by the config (above); these would override it behind its back, so they are refused.
 */
export const URL_TLS_PARAMETERS: Readonly<Record<string, string>> = {
  ssl: 'set sslmode=… or DATABASE_SSL_MODE instead',
  sslrootcert: 'give the CA bundle as DATABASE_SSL_CA_FILE (a path) or DATABASE_SSL_CA (PEM) instead',
  sslcert: 'client certificates are not supported; authenticate with the password in the URL',
  sslkey: 'client certificates are not supported; authenticate with the password in the URL',
  sslpassword: 'client certificates are not supported; authenticate with the password in the URL',
  uselibpqcompat: 'remove it: sslmode is always read with libpq’s meaning here',
  sslnegotiation: 'remove it: connections negotiate TLS the standard way (direct TLS is not supported)',
};

const SSLMODE_ADVICE: Readonly<Record<string, string>> = {
  allow:
    'falls back to plaintext, which node-postgres cannot do: use sslmode=disable, require or verify-full',
  prefer: 'falls back to plaintext, which node-postgres cannot do: use sslmode=require or verify-full',
  'verify-ca': 'is not supported: use sslmode=verify-full, which also checks the host name',
  'no-verify': 'is node-postgres’s own name: write sslmode=require (encrypted, not verified)',
};

function searchParams(value: string): URLSearchParams | undefined {
  try {
    return new URL(value).searchParams;
  } catch {
    return undefined;
  }
}

/** What is wrong with the TLS parameters of a postgres URL; empty when nothing is. */
export function urlTlsProblems(value: string): string[] {
  const params = searchParams(value);
  if (!params) return [];
  const problems: string[] = [];
  for (const [name, advice] of Object.entries(URL_TLS_PARAMETERS)) {
    if (params.has(name)) problems.push(`sets ${name} in its query, which is not read here: ${advice}`);
  }
  const sslmode = params.get('sslmode');
  if (sslmode !== null && !(DATABASE_SSL_MODES as readonly string[]).includes(sslmode)) {
    problems.push(
      `sslmode=${sslmode} ${SSLMODE_ADVICE[sslmode] ?? `is not a mode: use ${DATABASE_SSL_MODES.join(', ')}`}`,
    );
  }
  return problems;
}

/** The URL's `sslmode`, when it has a valid one. */
export function urlSslMode(value: string): DatabaseSslMode | undefined {
  const sslmode = searchParams(value)?.get('sslmode');
  return (DATABASE_SSL_MODES as readonly (string | null | undefined)[]).includes(sslmode)
    ? (sslmode as DatabaseSslMode)
    : undefined;
}

const postgresUrl = z.string().superRefine((value, context) => {
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    context.addIssue({
      code: 'custom',
      message: 'expected a URL starting with postgres:// or postgresql://',
    });
    return;
  }
  for (const message of urlTlsProblems(value)) context.addIssue({ code: 'custom', message });
});

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * PEM certificates, each a valid X.509 certificate. A path instead of PEM, or a private key, is
 * refused with the reason: both are easy mistakes when a variable holds a whole file.
 */
const pemCertificates = z.string().superRefine((value, context) => {
  const blocks = [...value.matchAll(PEM_BLOCK)];
  if (blocks.some((block) => block[1] !== 'CERTIFICATE')) {
    context.addIssue({
      code: 'custom',
      message: 'holds something other than certificates (a private key?): give the CA certificates only',
    });
    return;
  }
  if (blocks.length === 0) {
    context.addIssue({
      code: 'custom',
      message:
        'expected PEM certificates (-----BEGIN CERTIFICATE-----): the CA bundle itself; to give a path, set DATABASE_SSL_CA_FILE instead',
    });
    return;
  }
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block[0]);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `certificate ${index + 1} of ${blocks.length} is not a valid X.509 certificate (${(error as Error).message})`,
      });
    }
  });
});

/** The variables of one connection: the migrate command needs only these. */
export const databaseConnection = {
  DATABASE_URL: secret(postgresUrl),
  /** Unset: `sslmode` of DATABASE_URL, else `disable`. */
  DATABASE_SSL_MODE: z
    .enum(DATABASE_SSL_MODES, { message: `expected one of ${DATABASE_SSL_MODES.join(', ')}` })
    .optional(),
  /**
   * Not confidential, but registered as a secret: that gives it the `_FILE` form (a mounted file,
   * as for the secrets) and keeps a 150 KB bundle out of error messages.
   */
  DATABASE_SSL_CA: secret(pemCertificates).optional(),
};

/**
 * The role the migrations run as, where the apps' role may not change the schema (compose's prod
 * profile gives the schema owner's URL). Unset: DATABASE_URL's, the one user a managed Postgres
 * gives. TLS as for DATABASE_URL: DATABASE_SSL_MODE, else this URL's sslmode, else DATABASE_URL's
 * (so a URL written without one is never the plaintext exception), with DATABASE_SSL_CA.
 */
export const migrationDatabase = {
  MIGRATION_DATABASE_URL: secret(postgresUrl).optional(),
};

export interface DatabaseConnectionConfig {
  DATABASE_URL: string;
  DATABASE_SSL_MODE?: DatabaseSslMode | undefined;
  DATABASE_SSL_CA?: string | undefined;
  MIGRATION_DATABASE_URL?: string | undefined;
}

/** The TLS settings in force: DATABASE_SSL_MODE, else the URL's sslmode, else plaintext. */
export function databaseTls(config: DatabaseConnectionConfig): DatabaseTls {
  const mode = config.DATABASE_SSL_MODE ?? urlSslMode(config.DATABASE_URL) ?? 'disable';
  return mode === 'verify-full' ? { mode, ca: config.DATABASE_SSL_CA } : { mode };
}

/** Where and how to migrate: MIGRATION_DATABASE_URL (else DATABASE_URL), with its TLS settings. */
export function migrationConnection(config: DatabaseConnectionConfig): {
  connectionString: string;
  tls: DatabaseTls;
} {
  const connectionString = config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL;
  const mode = config.DATABASE_SSL_MODE ?? urlSslMode(connectionString) ?? urlSslMode(config.DATABASE_URL);
  return {
    connectionString,
    tls: databaseTls({ ...config, DATABASE_URL: connectionString, DATABASE_SSL_MODE: mode }),
  };
}

/**
 * Amazon RDS and Aurora endpoints present certificates from Amazon's RDS CAs, which Node's store
 * does not hold. RDS Proxy endpoints (`….proxy-….rds.amazonaws.com`) use public ACM certificates.
 */
function isRdsEndpoint(databaseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(databaseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return /\.rds\.amazonaws\.com(\.cn)?$/.test(host) && !/\.proxy-[a-z0-9]+\./.test(host);
}

/**
 * The TLS settings that contradict each other, as [variable, reason] pairs for an app schema's
 * `superRefine` (see `refineDatabase`). None of them is a matter of taste: each would either
 * connect differently from what the operator wrote, or fail on every connection.
 */
export function databaseProblems(config: DatabaseConnectionConfig): [name: string, reason: string][] {
  const problems: [string, string][] = [];
  const fromUrl = urlSslMode(config.DATABASE_URL);
  if (
    config.DATABASE_SSL_MODE !== undefined &&
    fromUrl !== undefined &&
    fromUrl !== config.DATABASE_SSL_MODE
  ) {
    problems.push([
      'DATABASE_SSL_MODE',
      `is ${config.DATABASE_SSL_MODE} but DATABASE_URL says sslmode=${fromUrl}: set one of them, or make them agree`,
    ]);
    return problems;
  }
  const { mode } = databaseTls(config);
  if (config.DATABASE_SSL_CA !== undefined && mode !== 'verify-full') {
    problems.push([
      'DATABASE_SSL_CA',
      `is only used by verify-full, and the TLS mode is ${mode}${mode === 'require' ? ' (encrypted, certificate not checked)' : ''}: set DATABASE_SSL_MODE=verify-full, or remove the CA`,
    ]);
  }
  if (mode === 'verify-full' && config.DATABASE_SSL_CA === undefined && isRdsEndpoint(config.DATABASE_URL)) {
    problems.push([
      'DATABASE_SSL_CA',
      "is required to verify an Amazon RDS endpoint (DATABASE_URL's host): RDS certificates chain to Amazon's RDS CAs, which Node's CA store lacks. Set it (or DATABASE_SSL_CA_FILE) to the bundle of the instance's region, https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem, or the global bundle",
    ]);
  }
  return problems;
}

/** `superRefine` for a schema that spreads `database` or `databaseConnection` (and `migrationDatabase`). */
export function refineDatabase(config: DatabaseConnectionConfig, context: z.RefinementCtx): void {
  for (const [name, message] of databaseProblems(config)) {
    context.addIssue({ code: 'custom', path: [name], message });
  }
  // The migration URL's sslmode must agree with DATABASE_SSL_MODE too (its own query is checked
  // like DATABASE_URL's by the field's schema).
  const migrationMode =
    config.MIGRATION_DATABASE_URL === undefined ? undefined : urlSslMode(config.MIGRATION_DATABASE_URL);
  if (
    config.DATABASE_SSL_MODE !== undefined &&
    migrationMode !== undefined &&
    migrationMode !== config.DATABASE_SSL_MODE
  ) {
    context.addIssue({
      code: 'custom',
      path: ['MIGRATION_DATABASE_URL'],
      message: `says sslmode=${migrationMode} but DATABASE_SSL_MODE is ${config.DATABASE_SSL_MODE}: set one of them, or make them agree`,
    });
  }
}
