import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createApiClient, createAuthorizedFetch, type ApiClient } from '../api/client.ts';
import { renewDelayMs } from './oidc-flow.ts';

export interface Session {
  subject: string;
  api: ApiClient;
  /** `fetch` carrying the session's credential, for the AI SDK's chat transport. */
  fetch: typeof fetch;
  signOut: () => void;
}

/** A token that expires at a known time, and how to get the next one (an OpenID Connect sign-in). */
export interface Lifetime {
  expiresAtMs: number;
  /** A refresh-token grant; undefined when the provider gave no refresh token. */
  renew: (() => Promise<{ token: string; expiresAtMs: number }>) | undefined;
}

export type SignIn = (token: string, subject: string, lifetime?: Lifetime) => void;

interface SessionState {
  session: Session | undefined;
  signIn: SignIn;
  /** Why the last session ended, when it did not end by the user's choice. */
  endedBecause: string | undefined;
}

interface Credentials {
  token: string;
  subject: string;
  lifetime?: Lifetime | undefined;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/**
 * The signed-in identity. The token lives in memory only (this component's state): never in
 * localStorage or sessionStorage, where any script on the origin could read it later. A reload
 * therefore signs out; the development sign-in is one click, and an identity provider's session
 * signs the user back in without a prompt. An OpenID Connect session is renewed with its refresh
 * token (also in memory only) before the access token expires, or ends at expiry, saying so.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [credentials, setCredentials] = useState<Credentials>();
  const [endedBecause, setEndedBecause] = useState<string>();

  const signOut = useCallback(() => setCredentials(undefined), []);
  const end = useCallback((why: string) => {
    setCredentials(undefined);
    setEndedBecause(why);
  }, []);
  const expire = useCallback(() => end('Your session expired or was refused; sign in again.'), [end]);
  const signIn = useCallback<SignIn>((token, subject, lifetime) => {
    setEndedBecause(undefined);
    setCredentials({ token, subject, lifetime });
  }, []);

  const lifetime = credentials?.lifetime;
  useEffect(() => {
    if (!lifetime) return;
    const { renew } = lifetime;
    let live = true;
    const timer = window.setTimeout(
      () => {
        if (!renew) {
          end('Your session expired: the identity provider gave no refresh token. Sign in again.');
          return;
        }
        renew().then(
          ({ token, expiresAtMs }) =>
            live &&
            setCredentials((current) => current && { ...current, token, lifetime: { renew, expiresAtMs } }),
          () => live && end('Your session could not be renewed with the identity provider; sign in again.'),
        );
      },
      renew ? renewDelayMs(lifetime, Date.now()) : Math.max(0, lifetime.expiresAtMs - Date.now()),
    );
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [lifetime, end]);

  const value = useMemo<SessionState>(
    () => ({
      session: credentials && {
        subject: credentials.subject,
        api: createApiClient(credentials.token, expire),
        fetch: createAuthorizedFetch(credentials.token, expire),
        signOut,
      },
      signIn,
      endedBecause,
    }),
    [credentials, expire, signOut, signIn, endedBecause],
  );
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSessionState outside <SessionProvider>');
  return state;
}

/** The session of a signed-in page (the app renders those only with one). */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error('useSession without a signed-in user');
  return session;
}
