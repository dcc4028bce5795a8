import * as oauth from 'oauth4webapi';

/**
 * OpenID Connect sign-in for a public client in the browser: authorization code + PKCE (RFC 7636,
 * RFC 9700's advice for browser apps), with oauth4webapi doing the protocol (discovery, the
 * callback's checks — `state`, `iss` — the code and refresh-token grants, the ID token's claims).
 *
 * What is kept where, and for how long:
 * - the code verifier and `state` of a sign-in under way: sessionStorage (this tab only), because
 *   the page is left for the provider and reloaded by its redirect; removed as soon as the
 *   callback is read, whatever its outcome.
 * - the tokens: memory only (session.tsx), never Web Storage.
 */

export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
}

/** A sign-in under way, kept across the provider's redirect. */
interface PendingSignIn {
  issuer: string;
  codeVerifier: string;
  state: string;
}

export interface OidcTokens {
  accessToken: string;
  /** Absent when the provider gives none: the session then ends when the access token expires. */
  refreshToken: string | undefined;
  /** When the access token expires (ms since the epoch). */
  expiresAtMs: number;
  /** The ID token's subject (the access token's `sub` is what the api takes as the owner). */
  idTokenSubject: string | undefined;
}

export const PENDING_KEY = 'keelson.oidc.pending';

/** Where the provider sends the browser back: the console's own page (registered at the provider). */
export const redirectUri = (location: Pick<Location, 'origin'>) => `${location.origin}/console/`;

const servers = new Map<string, Promise<oauth.AuthorizationServer>>();

/** The provider's metadata (`/.well-known/openid-configuration`), fetched once per page load. */
export function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  let server = servers.get(issuer);
  if (!server) {
    const url = new URL(issuer);
    server = oauth
      .discoveryRequest(url, { algorithm: 'oidc' })
      .then((response) => oauth.processDiscoveryResponse(url, response));
    // A failure is not cached: the next attempt asks again.
    server.catch(() => servers.delete(issuer));
    servers.set(issuer, server);
  }
  return server;
}

/** Starts a sign-in: remembers the verifier and state, and returns the provider's authorization URL. */
export async function beginSignIn(
  settings: OidcSettings,
  storage: Storage,
  location: Pick<Location, 'origin'>,
): Promise<URL> {
  const server = await discover(settings.issuer);
  if (!server.authorization_endpoint) throw new Error('The provider names no authorization endpoint.');
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const pending: PendingSignIn = { issuer: settings.issuer, codeVerifier, state };
  storage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(server.authorization_endpoint);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', redirectUri(location));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', settings.scopes.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return url;
}

/** Whether this URL is the provider's redirect back (a code or an error, with a state). */
export function isCallback(url: URL): boolean {
  return url.searchParams.has('state') && (url.searchParams.has('code') || url.searchParams.has('error'));
}

/** The URL without the callback's parameters, for history.replaceState (the hash route stays). */
export function withoutCallbackParameters(url: URL): string {
  const clean = new URL(url);
  for (const name of ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state'])
    clean.searchParams.delete(name);
  return `${clean.pathname}${clean.search}${clean.hash}`;
}

/** A sign-in that failed, with what the user is told. */
export class SignInError extends Error {}

/** Reads and forgets the pending sign-in: it is good for one callback only. */
function takePending(storage: Storage): PendingSignIn | undefined {
  const raw = storage.getItem(PENDING_KEY);
  storage.removeItem(PENDING_KEY);
  if (raw === null) return undefined;
  try {
    const pending = JSON.parse(raw) as Partial<PendingSignIn>;
    if (
      typeof pending.issuer === 'string' &&
      typeof pending.codeVerifier === 'string' &&
      typeof pending.state === 'string'
    )
      return pending as PendingSignIn;
  } catch {
    // Not ours, or damaged: as if there were none.
  }
  return undefined;
}

/**
 * The callback: checks it belongs to the sign-in this tab started (`state`, and the issuer when
 * the provider names it), exchanges the code with the verifier, and returns the tokens.
 */
export async function completeSignIn(
  settings: OidcSettings,
  storage: Storage,
  url: URL,
  now: () => number = Date.now,
): Promise<OidcTokens> {
  const pending = takePending(storage);
  if (!pending || pending.issuer !== settings.issuer) {
    throw new SignInError(
      'Sign-in refused: this browser tab started no sign-in with this provider (or it was already used). Sign in again.',
    );
  }
  const server = await discover(settings.issuer);
  const client: oauth.Client = { client_id: settings.clientId };
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(server, client, url, pending.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      throw new SignInError(`The provider refused the sign-in: ${error.error_description ?? error.error}.`);
    }
    if (error instanceof oauth.OperationProcessingError && /"state"/.test(error.message)) {
      throw new SignInError(
        'Sign-in refused: the response does not match the sign-in this tab started (its state differs). Sign in again.',
      );
    }
    throw new SignInError(`Sign-in refused: ${(error as Error).message}.`);
  }
  const response = await oauth.authorizationCodeGrantRequest(
    server,
    client,
    oauth.None(),
    parameters,
    redirectUri(url),
    pending.codeVerifier,
  );
  const result = await oauth.processAuthorizationCodeResponse(server, client, response, {
    requireIdToken: true,
  });
  return tokensFrom(result, now(), oauth.getValidatedIdTokenClaims(result)?.sub);
}

/** A refresh-token grant: new tokens (the provider may rotate the refresh token). */
export async function refreshTokens(
  settings: OidcSettings,
  tokens: OidcTokens,
  now: () => number = Date.now,
): Promise<OidcTokens> {
  if (!tokens.refreshToken) throw new Error('no refresh token');
  const server = await discover(settings.issuer);
  const client: oauth.Client = { client_id: settings.clientId };
  const response = await oauth.refreshTokenGrantRequest(server, client, oauth.None(), tokens.refreshToken);
  const result = await oauth.processRefreshTokenResponse(server, client, response);
  const next = tokensFrom(result, now(), tokens.idTokenSubject);
  // A provider that does not rotate refresh tokens sends none back: the old one stays good.
  return { ...next, refreshToken: next.refreshToken ?? tokens.refreshToken };
}

/** Without `expires_in`, a JWT access token's own `exp`; otherwise five minutes, to be safe. */
const FALLBACK_LIFETIME_S = 300;

function tokensFrom(
  result: oauth.TokenEndpointResponse,
  nowMs: number,
  idTokenSubject: string | undefined,
): OidcTokens {
  const lifetimeS = result.expires_in ?? jwtLifetimeS(result.access_token, nowMs) ?? FALLBACK_LIFETIME_S;
  return {
    accessToken: result.access_token,
    refreshToken: result.refresh_token,
    expiresAtMs: nowMs + lifetimeS * 1_000,
    idTokenSubject,
  };
}

function jwtLifetimeS(token: string, nowMs: number): number | undefined {
  try {
    const claims = JSON.parse(
      atob((token.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/')),
    ) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? Math.max(0, claims.exp - nowMs / 1_000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When to renew: a minute before expiry, or at 80 % of a lifetime shorter than five minutes
 * (a short-lived token still gets most of its life used, and the request time to spare).
 */
export function renewDelayMs(tokens: Pick<OidcTokens, 'expiresAtMs'>, nowMs: number): number {
  const left = tokens.expiresAtMs - nowMs;
  return Math.max(0, left > 300_000 ? left - 60_000 : left * 0.8);
}
