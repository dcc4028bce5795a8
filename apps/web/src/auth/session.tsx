import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { createApiClient, createAuthorizedFetch, type ApiClient } from '../api/client.ts';

export interface Session {
  subject: string;
  api: ApiClient;
  /** `fetch` carrying the session's credential, for the AI SDK's chat transport. */
  fetch: typeof fetch;
  signOut: () => void;
}

interface SessionState {
  session: Session | undefined;
  signIn: (token: string, subject: string) => void;
  /** Why the last session ended, when it did not end by the user's choice. */
  endedBecause: string | undefined;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/**
 * The signed-in identity. The token lives in memory only (this component's state): never in
 * localStorage or sessionStorage, where any script on the origin could read it later. A reload
 * therefore signs out; the development sign-in is one click, and an identity provider's session
 * would sign the user back in without a prompt.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [credentials, setCredentials] = useState<{ token: string; subject: string }>();
  const [endedBecause, setEndedBecause] = useState<string>();

  const signOut = useCallback(() => setCredentials(undefined), []);
  const expire = useCallback(() => {
    setCredentials(undefined);
    setEndedBecause('Your session expired or was refused; sign in again.');
  }, []);
  const signIn = useCallback((token: string, subject: string) => {
    setEndedBecause(undefined);
    setCredentials({ token, subject });
  }, []);

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
