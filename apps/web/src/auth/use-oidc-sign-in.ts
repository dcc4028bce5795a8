import { useCallback, useEffect, useState } from 'react';
import { loadConsoleConfig } from './console-config.ts';
import {
  beginSignIn,
  completeSignIn,
  isCallback,
  refreshTokens,
  SignInError,
  withoutCallbackParameters,
  type OidcSettings,
  type OidcTokens,
} from './oidc-flow.ts';
import type { SignIn, Lifetime } from './session.tsx';
import { tokenSubject } from './token-subject.ts';

/** What the sign-in page is told about the provider's redirect back. */
export type CallbackState =
  { phase: 'none' } | { phase: 'completing' } | { phase: 'failed'; message: string };

/**
 * The callback is handled once per page load, whatever React does with effects (StrictMode runs
 * them twice in development): the code is good for one exchange, the pending state for one read.
 */
let callback: Promise<void> | undefined;

/** The session's lifetime: renewed with the refresh token (kept in this closure only) when there is one. */
function lifetimeOf(settings: OidcSettings, first: OidcTokens): Lifetime {
  let current = first;
  return {
    expiresAtMs: first.expiresAtMs,
    renew: first.refreshToken
      ? async () => {
          current = await refreshTokens(settings, current);
          return { token: current.accessToken, expiresAtMs: current.expiresAtMs };
        }
      : undefined,
  };
}

/**
 * The OpenID Connect sign-in of the sign-in page: `start` leaves for the provider; when the page
 * is the provider's redirect back (`/console/?code=…&state=…`), the code is exchanged, the URL
 * cleaned (history.replaceState: no code in the history or a bookmark) and the session started.
 */
export function useOidcSignIn(signIn: SignIn) {
  const [state, setState] = useState<CallbackState>(() =>
    isCallback(new URL(window.location.href)) ? { phase: 'completing' } : { phase: 'none' },
  );

  useEffect(() => {
    const url = new URL(window.location.href);
    if (!isCallback(url)) return;
    callback ??= (async () => {
      window.history.replaceState(null, '', withoutCallbackParameters(url));
      try {
        const { oidc } = await loadConsoleConfig();
        if (!oidc)
          throw new SignInError('Sign-in refused: this deployment has no identity provider configured.');
        const tokens = await completeSignIn(oidc, window.sessionStorage, url);
        const subject = tokenSubject(tokens.accessToken) ?? tokens.idTokenSubject;
        if (!subject) throw new SignInError('Sign-in failed: the provider named no subject.');
        setState({ phase: 'none' });
        signIn(tokens.accessToken, subject, lifetimeOf(oidc, tokens));
      } catch (error) {
        const message =
          error instanceof SignInError ? error.message : `Sign-in failed: ${(error as Error).message}`;
        setState({ phase: 'failed', message });
      }
    })();
  }, [signIn]);

  const start = useCallback(async (settings: OidcSettings) => {
    try {
      window.location.assign(await beginSignIn(settings, window.sessionStorage, window.location));
    } catch (error) {
      setState({
        phase: 'failed',
        message: `The identity provider could not be reached: ${(error as Error).message}`,
      });
    }
  }, []);

  return { state, start };
}
