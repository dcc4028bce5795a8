import { describe, expect, it } from 'vitest';
import {
  completeSignIn,
  isCallback,
  PENDING_KEY,
  redirectUri,
  renewDelayMs,
  SignInError,
  withoutCallbackParameters,
} from '../src/auth/oidc-flow.ts';

/** sessionStorage's interface over a Map (Node has no Web Storage). */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

const settings = { issuer: 'https://idp.example.com', clientId: 'console', scopes: ['openid'] };

describe('the OpenID Connect callback', () => {
  it('is the console page with a state and a code or an error', () => {
    expect(isCallback(new URL('https://app.example.com/console/?code=c&state=s'))).toBe(true);
    expect(isCallback(new URL('https://app.example.com/console/?error=access_denied&state=s'))).toBe(true);
    expect(isCallback(new URL('https://app.example.com/console/?code=c'))).toBe(false);
    expect(isCallback(new URL('https://app.example.com/console/#/search'))).toBe(false);
  });

  it('is cleaned from the URL, keeping other parameters and the hash route', () => {
    const url = new URL(
      'https://app.example.com/console/?code=c&state=s&iss=https%3A%2F%2Fidp&keep=1#/search',
    );
    expect(withoutCallbackParameters(url)).toBe('/console/?keep=1#/search');
    expect(withoutCallbackParameters(new URL('https://app.example.com/console/?code=c&state=s'))).toBe(
      '/console/',
    );
  });

  it('comes back to the console page of the same origin', () => {
    expect(redirectUri(new URL('https://app.example.com/console/#/keys'))).toBe(
      'https://app.example.com/console/',
    );
  });

  it('is refused when this tab started no sign-in, before anything is sent', async () => {
    const storage = memoryStorage();
    const url = new URL('https://app.example.com/console/?code=c&state=s');
    await expect(completeSignIn(settings, storage, url)).rejects.toThrow(SignInError);
    await expect(completeSignIn(settings, storage, url)).rejects.toThrow(/started no sign-in/);
  });

  it('forgets the pending sign-in as soon as it is read, whatever happens next', async () => {
    const storage = memoryStorage();
    // Started against another provider: refused, and gone.
    storage.setItem(
      PENDING_KEY,
      JSON.stringify({ issuer: 'https://other.example.com', codeVerifier: 'v', state: 's' }),
    );
    await expect(
      completeSignIn(settings, storage, new URL('https://app.example.com/console/?code=c&state=s')),
    ).rejects.toThrow(/started no sign-in/);
    expect(storage.getItem(PENDING_KEY)).toBeNull();
    storage.setItem(PENDING_KEY, '{not json');
    await expect(
      completeSignIn(settings, storage, new URL('https://app.example.com/console/?code=c&state=s')),
    ).rejects.toThrow(SignInError);
    expect(storage.length).toBe(0);
  });
});

describe('renewing the session', () => {
  it('renews a minute before expiry', () => {
    expect(renewDelayMs({ expiresAtMs: 3_600_000 }, 0)).toBe(3_540_000);
  });

  it('renews a short-lived token at 80 % of its life', () => {
    expect(renewDelayMs({ expiresAtMs: 100_000 }, 0)).toBe(80_000);
  });

  it('renews at once when already expired', () => {
    expect(renewDelayMs({ expiresAtMs: 1_000 }, 5_000)).toBe(0);
  });
});
