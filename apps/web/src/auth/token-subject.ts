/**
 * The `sub` claim of a JWT, read without verifying it: only to show who is signed in. The api
 * verifies every request's token itself, so a forged subject here gains nothing.
 */
export function tokenSubject(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    const json = atob(payload.replaceAll('-', '+').replaceAll('_', '/'));
    const claims = JSON.parse(json) as { sub?: unknown };
    return typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}
