import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key is `kls_<prefix>_<secret>`:
 * - `kls_` says what it is (to a person, to a secret scanner, and to the authentication hook,
 *   which tells keys from JWTs by it — a JWT starts with `eyJ`);
 * - the prefix, 10 random base32 characters, is the visible, non-secret part: the owner
 *   recognizes a key by it in a list, and the api finds the key's row by it (a unique index);
 * - the secret, 32 random bytes in base64url (256 bits).
 *
 * Stored: HMAC-SHA-256 of the whole key keyed with API_KEY_PEPPER. A fast keyed hash is right here
 * and a password hash (bcrypt, argon2) is not: a password hash is slow so that guessing a
 * human-chosen password from a leaked hash is costly, but 256 random bits cannot be guessed at
 * any speed, and a slow hash would cost every authenticated request (or, cached, every cache
 * miss) milliseconds of CPU. The pepper means the database alone cannot check a guess at all.
 */
export const API_KEY_PATTERN = /^kls_([a-z2-7]{10})_([A-Za-z0-9_-]{43})$/;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Buffer): string {
  // 32 symbols: each byte's low 5 bits, uniform because 256 is a multiple of 32.
  return [...bytes].map((byte) => BASE32[byte & 31]).join('');
}

export interface NewApiKey {
  key: string;
  prefix: string;
}

export function generateApiKey(): NewApiKey {
  const prefix = base32(randomBytes(10));
  return { key: `kls_${prefix}_${randomBytes(32).toString('base64url')}`, prefix };
}

/** The prefix of a well-formed key, or undefined for anything else. */
export function apiKeyPrefix(key: string): string | undefined {
  return API_KEY_PATTERN.exec(key)?.[1];
}

export function isApiKeyShaped(token: string): boolean {
  return token.startsWith('kls_');
}

export function hashApiKey(key: string, pepper: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

/** Constant-time comparison of a presented key's hash with the stored one. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
