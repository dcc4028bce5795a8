import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyOptions } from 'jose';
import { LRUCache } from 'lru-cache';
import { OWNER_ID } from './permissions.ts';

export interface AccessTokenOptions {
  /** HS256 secret. Exactly one of `secret` and `jwksUrl`. */
  secret?: string | undefined;
  /** The identity provider's key set: RS256/ES256 tokens, keys picked by `kid`, rotated by the IdP. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** How long a verified token is remembered at most (default 60 s; never past its `exp`). */
  verifiedTtlMs?: number;
  /** Verified tokens remembered at once, least recently used dropped first (default 10,000). */
  verifiedMax?: number;
}

export type Verification =
  | { ok: true; subject: string }
  /** `unavailable`: the key set could not be fetched; the token may be fine (answer 503, not 401). */
  | { ok: false; reason: 'expired' | 'invalid' | 'unavailable'; error: unknown };

/** Allowance for clocks that drift between the issuer and this host, in seconds. */
const CLOCK_TOLERANCE_S = 5;

/** Errors that mean "the identity provider did not answer properly", not "the token is bad". */
const KEY_SET_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);

/**
 * Verifies bearer tokens with `jose`. The algorithm list is fixed per mode, so a token cannot
 * choose how it is checked (no `none`, no HS256 signed with a public key). `exp` and `sub` are
 * required: a token that never expires is refused.
 *
 * A client sends the same token with every request until it expires, and checking its signature
 * (WebCrypto HMAC or RSA/ECDSA, through an async crypto job) was ~10 % of the api's CPU on an
 * authenticated read (tests/bench/README.md). So a token that verified is remembered, keyed by
 * the whole token — signature included, so a single changed byte is a new token, verified in
 * full — for at most `verifiedTtlMs` and never past its `exp`, which is checked again on every
 * use. Refused tokens are never remembered: a flood of bad tokens costs what it cost before, and
 * the cache is bounded, so a flood of good ones cannot grow it. A JWKS key the identity provider
 * withdraws stops being trusted within `verifiedTtlMs` of the key set's own 10-minute cache.
 */
export function createAccessTokenVerifier(options: AccessTokenOptions) {
  const verifyOptions: JWTVerifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ['sub', 'exp'],
    clockTolerance: CLOCK_TOLERANCE_S,
  };
  const rememberMs = options.verifiedTtlMs ?? 60_000;
  const verified = new LRUCache<string, { subject: string; expiresAtMs: number }>({
    max: options.verifiedMax ?? 10_000,
    ttl: rememberMs,
  });

  let verify: (token: string) => Promise<{ payload: { sub?: string | undefined; exp?: number | undefined } }>;
  if (options.jwksUrl !== undefined) {
    // Keys are cached (10 min) and refetched at most every 30 s when an unknown `kid` shows up,
    // so a flood of forged tokens cannot turn into a flood of requests to the identity provider.
    const keySet = createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: 2_000,
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
    });
    verify = (token) => jwtVerify(token, keySet, { ...verifyOptions, algorithms: ['RS256', 'ES256'] });
  } else if (options.secret !== undefined) {
    const key = new TextEncoder().encode(options.secret);
    verify = (token) => jwtVerify(token, key, { ...verifyOptions, algorithms: ['HS256'] });
  } else {
    throw new Error('an access-token verifier needs a secret or a JWKS URL');
  }
  const remote = options.jwksUrl !== undefined;

  return async function verifyAccessToken(token: string): Promise<Verification> {
    const known = verified.get(token);
    if (known && Date.now() < known.expiresAtMs) return { ok: true, subject: known.subject };
    if (known) verified.delete(token); // expired: verified in full again, which says so
    try {
      const { payload } = await verify(token);
      if (typeof payload.sub !== 'string' || !OWNER_ID.test(payload.sub)) {
        return { ok: false, reason: 'invalid', error: new Error('the subject is not a usable owner id') };
      }
      // `exp` is required, so it is a number here; jose accepted it with the same tolerance.
      const expiresAtMs = (payload.exp! + CLOCK_TOLERANCE_S) * 1_000;
      verified.set(
        token,
        { subject: payload.sub, expiresAtMs },
        {
          ttl: Math.max(1, Math.min(rememberMs, expiresAtMs - Date.now())),
        },
      );
      return { ok: true, subject: payload.sub };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', error };
      if (error instanceof errors.JOSEError) {
        return {
          ok: false,
          reason: remote && KEY_SET_FAILURES.has(error.code) ? 'unavailable' : 'invalid',
          error,
        };
      }
      // Not jose's own error: with a key set that is the fetch failing (connection refused, DNS).
      return { ok: false, reason: remote ? 'unavailable' : 'invalid', error };
    }
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

export interface SignOptions {
  secret: string;
  subject: string;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Lifetime from now; negative values produce an already expired token (for tests). */
  expiresInSeconds?: number;
}

/** Mints an HS256 token the api accepts: for development (`pnpm token`) and tests. */
export async function signAccessToken(options: SignOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3_600));
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
