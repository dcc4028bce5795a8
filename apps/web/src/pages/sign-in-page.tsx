import { useState, type FormEvent } from 'react';
import { requestDevToken } from '../auth/dev-token.ts';
import { useSessionState } from '../auth/session.tsx';
import { tokenSubject } from '../auth/token-subject.ts';
import { ErrorMessage } from '../components/status.tsx';

/**
 * Two ways in: the one-click development identity (a development stack only), and an access token
 * from the identity provider pasted by hand. The OpenID Connect redirect (authorization code +
 * PKCE) is not built yet: apps/web/README.md says what it needs.
 */
export function SignInPage() {
  const { signIn, endedBecause } = useSessionState();
  const [subject, setSubject] = useState('developer');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function signInAsDeveloper(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await requestDevToken(subject.trim());
      if (result.ok) signIn(result.token, result.subject);
      else setError(result.message);
    } catch {
      setError('The api could not be reached.');
    } finally {
      setBusy(false);
    }
  }

  function signInWithToken(event: FormEvent) {
    event.preventDefault();
    const pasted = token.trim();
    const owner = tokenSubject(pasted);
    if (owner === undefined) setError('That is not an access token (a JWT with a subject).');
    else signIn(pasted, owner);
  }

  return (
    <main className="sign-in">
      <h1>Keelson console</h1>
      {endedBecause && <p role="status">{endedBecause}</p>}
      {error && <ErrorMessage message={error} />}
      <section aria-labelledby="dev-sign-in">
        <h2 id="dev-sign-in">Development identity</h2>
        <form onSubmit={(event) => void signInAsDeveloper(event)}>
          <label htmlFor="subject">User id</label>
          <input
            id="subject"
            value={subject}
            onChange={(event) => setSubject(event.target.value)}
            autoComplete="username"
            required
          />
          <button type="submit" disabled={busy}>
            Sign in as developer
          </button>
        </form>
      </section>
      <section aria-labelledby="token-sign-in">
        <h2 id="token-sign-in">Access token</h2>
        <form onSubmit={signInWithToken}>
          <label htmlFor="token">A bearer token from your identity provider</label>
          <textarea id="token" value={token} onChange={(event) => setToken(event.target.value)} rows={3} />
          <button type="submit">Sign in with token</button>
        </form>
      </section>
    </main>
  );
}
