/**
 * The api's development sign-in (apps/api/src/routes/dev-token.ts). It is not part of the api's
 * OpenAPI contract (it exists only on a development stack), so it is called with plain fetch.
 */
export type DevTokenResult =
  { ok: true; token: string; subject: string } | { ok: false; unavailable: boolean; message: string };

export async function requestDevToken(subject: string): Promise<DevTokenResult> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject }),
  });
  if (response.status === 404) {
    return {
      ok: false,
      unavailable: true,
      message:
        'The development sign-in is not available on this deployment: it exists only on a development stack.',
    };
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.token !== 'string' || typeof body.subject !== 'string') {
    const detail = typeof body.detail === 'string' ? body.detail : `HTTP ${response.status}`;
    return { ok: false, unavailable: false, message: `Sign-in failed: ${detail}` };
  }
  return { ok: true, token: body.token, subject: body.subject };
}
