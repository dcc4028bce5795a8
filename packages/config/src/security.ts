import { isIP } from 'node:net';
import { z } from 'zod';
import { secret } from './secret.ts';

/**
 * Building blocks for a service on the public internet: who may call it (JWT, service token),
 * from which web origins (CORS), and which proxies may tell it the client's address.
 * The rules that only production enforces live in `productionProblems`, so an app's schema
 * applies them in one `superRefine` and development keeps working without any of it set.
 */

/**
 * Below this, an HMAC secret is weaker than SHA-256 itself (RFC 7518 §3.2 asks for at least the
 * hash size) and a random token is short enough to be worth brute-forcing.
 */
export const MIN_SECRET_BYTES = 32;

/** A comma-separated list; blanks around items and empty items are ignored. */
export const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .pipe(z.array(item));

const httpUrl = z.string().refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: 'expected a URL starting with http:// or https://' },
);

export const jwt = {
  /** HS256 signing secret shared with whatever issues the tokens. */
  JWT_SECRET: secret(z.string()).optional(),
  /** The identity provider's JSON Web Key Set; tokens are then RS256/ES256, verified with its keys. */
  JWT_JWKS_URL: httpUrl.optional(),
  /** When set, a token's `iss` must equal it. */
  JWT_ISSUER: z.string().min(1).optional(),
  /** When set, a token's `aud` must contain it. */
  JWT_AUDIENCE: z.string().min(1).optional(),
};

export const serviceAuth = {
  /** Opaque bearer token for internal callers (never issued to end users); unset disables it. */
  SERVICE_AUTH_TOKEN: secret(z.string()).optional(),
};

/** `*`, or an origin exactly as a browser sends it: scheme, host, optional port, no path. */
const origin = z.string().refine(
  (value) => {
    if (value === '*') return true;
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  },
  { message: 'expected origins like https://app.example.com (scheme and host, no path or trailing slash)' },
);

export const cors = {
  /** Browser origins allowed to call the API, comma-separated. Unset: no cross-origin access. */
  CORS_ORIGINS: commaList(origin).default([]),
};

/** An IPv4/IPv6 address or CIDR block, or one of proxy-addr's names for the private ranges. */
const proxyAddress = z.string().refine(
  (value) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(value)) return true;
    const [address, bits, ...rest] = value.split('/');
    const version = isIP(address ?? '');
    if (version === 0 || rest.length > 0) return false;
    if (bits === undefined) return true;
    const prefix = Number(bits);
    return /^\d{1,3}$/.test(bits) && prefix <= (version === 4 ? 32 : 128);
  },
  { message: 'expected IP addresses or CIDR blocks such as 10.0.0.0/8' },
);

export const trustProxy = {
  /**
   * The load balancer's addresses (comma-separated IPs/CIDRs). `X-Forwarded-For` is believed only
   * from these, so `request.ip` is the client's and nobody else can forge it. Unset: trust none.
   */
  TRUST_PROXY: commaList(proxyAddress).default([]),
};

/**
 * Why `value` is too short to protect production, or undefined when it is long enough. (A value
 * published in this repository is refused by `parseEnv` itself, for every secret variable.)
 */
export function weakSecretReason(value: string): string | undefined {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < MIN_SECRET_BYTES) {
    return `is ${bytes} bytes; production requires at least ${MIN_SECRET_BYTES} so it cannot be brute-forced (e.g. \`openssl rand -base64 48\`)`;
  }
  return undefined;
}

export interface SecurityConfig {
  JWT_SECRET?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
  JWT_ISSUER?: string | undefined;
  JWT_AUDIENCE?: string | undefined;
  SERVICE_AUTH_TOKEN?: string | undefined;
  CORS_ORIGINS: string[];
}

/**
 * What production refuses to start with, as [variable, reason] pairs. Development runs without
 * any of this (a documented default secret, no CORS) so a checkout works with zero setup; the
 * same defaults in production would be an open door, so they are named here and refused.
 */
export function productionProblems(config: SecurityConfig): [name: string, reason: string][] {
  const problems: [string, string][] = [];
  if (config.JWT_SECRET === undefined && config.JWT_JWKS_URL === undefined) {
    problems.push([
      'JWT_SECRET',
      'is required in production (or set JWT_JWKS_URL): without it no access token can be verified. An unset NODE_ENV means production; only NODE_ENV=development signs with the public development secret',
    ]);
  }
  if (config.JWT_SECRET !== undefined) {
    const reason = weakSecretReason(config.JWT_SECRET);
    if (reason) problems.push(['JWT_SECRET', reason]);
  }
  if (config.JWT_JWKS_URL !== undefined && new URL(config.JWT_JWKS_URL).protocol !== 'https:') {
    problems.push([
      'JWT_JWKS_URL',
      'must use https in production: keys fetched over plain http can be replaced in transit',
    ]);
  }
  if (config.JWT_JWKS_URL !== undefined) {
    // A shared identity provider signs tokens for every application of its tenant with the same
    // keys: only `aud` (and `iss`, when several providers or tenants share key infrastructure)
    // says a token was issued for this api.
    if (config.JWT_AUDIENCE === undefined) {
      problems.push([
        'JWT_AUDIENCE',
        'is required in production with JWT_JWKS_URL: without it a token the identity provider issued for any other application is accepted; set the audience it issues for this api',
      ]);
    }
    if (config.JWT_ISSUER === undefined) {
      problems.push([
        'JWT_ISSUER',
        "is required in production with JWT_JWKS_URL: without it a token from any issuer whose keys the set holds is accepted; set the provider's issuer URL",
      ]);
    }
  }
  if (config.SERVICE_AUTH_TOKEN !== undefined) {
    const reason = weakSecretReason(config.SERVICE_AUTH_TOKEN);
    if (reason) problems.push(['SERVICE_AUTH_TOKEN', reason]);
    else if (config.SERVICE_AUTH_TOKEN === config.JWT_SECRET) {
      problems.push([
        'SERVICE_AUTH_TOKEN',
        'must differ from JWT_SECRET: whoever holds one credential must not hold the other',
      ]);
    }
  }
  if (config.CORS_ORIGINS.includes('*')) {
    problems.push([
      'CORS_ORIGINS',
      'must not contain "*" in production: any web page could then call the API with its visitors\' tokens; list the allowed origins',
    ]);
  }
  return problems;
}
