import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Matches the service token in constant time. Both sides are hashed first, so the comparison
 * takes as long whatever the candidate's length: neither the token's bytes nor its length leak
 * through response times.
 */
export function createServiceTokenMatcher(token: string | undefined) {
  if (token === undefined) return () => false;
  const expected = digest(token);
  return (candidate: string) => timingSafeEqual(digest(candidate), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
