import { useState, type FormEvent } from 'react';
import { useConsoleConfig } from '../auth/console-config.ts';
import { requestDevToken } from '../auth/dev-token.ts';
import { useSessionState } from '../auth/session.tsx';
import { tokenSubject } from '../auth/token-subject.ts';
import { useOidcSignIn } from '../auth/use-oidc-sign-in.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';

/**
 * Three ways in: the deployment's identity provider (OpenID Connect, authorization code + PKCE,
 * when the api names one: GET /v1/console/config), the one-click development identity (a
 * development stack only), and an access token pasted by hand.
 */
export function SignInPage() {
  const { signIn, endedBecause } = useSessionState();
  const { config, error: configError } = useConsoleConfig();
  const oidc = useOidcSignIn(signIn);
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
      {configError && <ErrorMessage message={configError} />}
      {oidc.state.phase === 'failed' && <ErrorMessage message={oidc.state.message} />}
      {oidc.state.phase === 'completing' && <Loading what="your sign-in" />}
      {config?.oidc && (
        <section aria-labelledby="oidc-sign-in">
          <h2 id="oidc-sign-in">Identity provider</h2>
          <button
            type="button"
            disabled={oidc.state.phase === 'completing'}
            onClick={() => config.oidc && void oidc.start(config.oidc)}
          >
            Sign in with {new URL(config.oidc.issuer).host}
          </button>
        </section>
      )}
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
